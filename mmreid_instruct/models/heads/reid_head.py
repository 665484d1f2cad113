from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmreid_instruct.registry import MODELS
from mmreid_instruct.structures import ReIDDataSample
from ..utils import pid_labels


@MODELS.register_module()
class ReIDHead(BaseModule):
    """The standard ReID head: BN neck, ID classifier and metric loss.

    The classifier reads the batch-normalised feature and is trained with
    ``loss_cls``; ``loss_triplet`` reads the feature before the BN neck.
    At test time the retrieval feature is the normalised one
    (``test_feature='bn'``) or the raw one (``'pre'``).

    Args:
        in_channels (int): Feature dimension.
        num_classes (int): Number of training identities.
        loss_cls (dict): Identity loss config. Defaults to label-smoothing
            cross-entropy with smoothing 0.1.
        loss_triplet (dict, optional): Metric loss config. Defaults to the
            batch-hard triplet with margin 0.3; None disables it.
        bn_neck (bool): Use a BN neck. Defaults to True.
        test_feature (str): ``'bn'`` or ``'pre'``. Defaults to ``'bn'``.
        init_cfg (dict): Initialisation of the classifier.

    Example:
        >>> head = ReIDHead(in_channels=8, num_classes=3)
        >>> samples = [ReIDDataSample().set_pid(p) for p in (0, 0, 2, 2)]
        >>> losses = head.loss(torch.randn(4, 8), samples)
        >>> sorted(losses)
        ['accuracy_top-1', 'loss_cls', 'loss_triplet']
        >>> head.predict(torch.randn(4, 8), samples)[0].pred_feature.shape
        torch.Size([8])
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 loss_cls: dict = dict(
                     type='LabelSmoothCrossEntropyLoss', label_smoothing=0.1),
                 loss_triplet: Optional[dict] = dict(
                     type='TripletLoss', margin=0.3),
                 bn_neck: bool = True,
                 test_feature: str = 'bn',
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Linear', std=0.001)):
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        if test_feature not in ('bn', 'pre'):
            raise ValueError("test_feature must be 'bn' or 'pre', got "
                             f'{test_feature!r}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.test_feature = test_feature
        self.neck = (
            MODELS.build(dict(type='BNNeck', in_channels=in_channels))
            if bn_neck else nn.Identity())
        self.classifier = nn.Linear(in_channels, num_classes, bias=False)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_triplet = (None if loss_triplet is None else
                             MODELS.build(loss_triplet))

    @staticmethod
    def pre_logits(
            feats: Union[torch.Tensor, Tuple[torch.Tensor]]) -> torch.Tensor:
        """Take the last stage of a backbone's output tuple."""
        return feats[-1] if isinstance(feats, (tuple, list)) else feats

    def loss(self, feats,
             data_samples: List[ReIDDataSample]) -> Dict[str, torch.Tensor]:
        """Compute the training losses.

        Args:
            feats (Tensor | tuple[Tensor]): (N, C) features, or a tuple
                whose last item is.
            data_samples (list[ReIDDataSample]): Samples with ``pid``.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_triplet`` (if enabled)
            and ``accuracy_top-1`` (logged, not optimised).
        """
        feat = self.pre_logits(feats)
        labels = pid_labels(data_samples, self.num_classes, feat.device,
                            'ReIDHead')
        logits = self.classifier(self.neck(feat))
        losses = dict(loss_cls=self.loss_cls(logits, labels))
        if self.loss_triplet is not None:
            losses['loss_triplet'] = self.loss_triplet(feat, labels)
        with torch.no_grad():
            accuracy = (logits.argmax(1) == labels).float().mean() * 100
        losses['accuracy_top-1'] = accuracy
        return losses

    def predict(self, feats,
                data_samples: List[ReIDDataSample]) -> List[ReIDDataSample]:
        """Attach the retrieval feature to every data sample.

        Args:
            feats (Tensor | tuple[Tensor]): (N, C) features.
            data_samples (list[ReIDDataSample]): The samples to fill.

        Returns:
            list[ReIDDataSample]: The samples with ``pred_feature`` set.
        """
        feat = self.pre_logits(feats)
        if self.test_feature == 'bn':
            feat = self.neck(feat)
        for sample, f in zip(data_samples, feat.detach()):
            sample.set_pred_feature(f)
        return data_samples
