from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmreid_instruct.registry import MODELS
from mmreid_instruct.structures import ReIDDataSample
from ..utils import pid_labels

#: Classifier key used when ``num_classes`` is a single int.
SINGLE_KEY = 'default'


def classifier_key(sample: ReIDDataSample) -> str:
    """The key that picks a sample's ID classifier:
    ``f'{dataset_name}/{task}'``.

    Training pids are relabelled 0..N-1 per training list, and each
    (dataset, task) pair is one list, so each needs its own classifier.

    Args:
        sample (ReIDDataSample): A sample with ``dataset_name`` in its
            metainfo and a ``task`` field.

    Returns:
        str: e.g. ``'ltcc/cc'``.

    Example:
        >>> s = ReIDDataSample(metainfo=dict(dataset_name='ltcc'))
        >>> classifier_key(s.set_task('cc'))
        'ltcc/cc'
    """
    name = sample.metainfo.get('dataset_name')
    task = sample.get('task')
    if name is None or task is None:
        raise ValueError(
            'InstructReIDHead with one classifier per training dataset needs '
            "'dataset_name' in each sample's metainfo and a 'task' field; "
            f'got dataset_name={name!r}, task={task!r}')
    return f'{name}/{task}'


def _module_name(key: str) -> str:
    # nn.ModuleDict names may not contain '.'.
    return key.replace('.', '_')


@MODELS.register_module()
class InstructReIDHead(BaseModule):
    """Head of Instruct-ReID: BN necks, one ID classifier per training
    dataset, and the IRM losses on g, u and v.

    g is the image CLS of the backbone, u and v the outputs of the
    instruction fusion (:class:`EditingFusion`). Each goes through a BN neck
    (``share_uv_neck=True`` gives u and v one). With ``CE`` the identity
    loss on the BN feature and ``T`` the metric loss on the feature before
    the BN neck, called with the instruction CLS embeddings ``instr_cls``,
    the total loss is::

        CE(g) + a*T(g) + w*(CE(u) + CE(v)) + a*w*(T(u) + T(v))

    With ``uv_triplet_after_bn=True`` the triplet terms of u and v read
    ``BN(u)`` and ``BN(v)`` (the very tensors the classifiers read) instead;
    g's stays before its BN. That is what the official code trains.

    with ``a = triplet_weight`` and ``w = fused_weight``. The returned terms
    are already weighted, so their sum is the total. The retrieval feature
    is ``concat(BN(u), BN(v))``.

    Without fusion (``fusion_channels=None``, the instruction-blind model)
    only g is used: loss ``CE(g) + a*T(g)``, retrieval feature ``BN(g)``.
    :class:`InstructReID` sets ``in_channels`` and ``fusion_channels`` from
    its backbone and fusion.

    ``num_classes`` is a dict ``{f'{dataset_name}/{task}': n}`` (see
    :func:`classifier_key`) or an int for a single training list. Every key
    has one linear classifier for each of g, u and v. A training batch must
    come from one key; only that key's classifiers are used. Design notes:
    ``docs/en/advanced_guides/irm.md``.

    ``num_classes=None`` builds a head for testing only: no ID classifiers
    (the size of a released checkpoint's classifiers depends on its training
    lists, and testing never uses them), so :meth:`loss` raises and
    :meth:`predict` works as usual.

    Args:
        in_channels (int): Width of g.
        num_classes (int | dict[str, int] | None): Identities per
            classifier key; None for a test-only head without classifiers.
        fusion_channels (int, optional): Width of u and v. Defaults to None
            (no fusion: g only).
        share_uv_neck (bool): One BN neck for u and v. Defaults to False.
        uv_triplet_after_bn (bool): The triplet of u and v on their BN
            outputs. Defaults to False (before the BN, like g's).
        triplet_weight (float): ``a``. Defaults to 3.0.
        fused_weight (float): ``w``. Defaults to 0.5.
        loss_cls (dict): Identity loss. Defaults to label-smoothing CE (0.1).
        loss_triplet (dict): Metric loss, called as
            ``loss(features, labels, instr_cls)``. Defaults to
            ``AdaptiveTripletLoss`` with margin 0.3.
        init_cfg (dict, optional): Defaults to a normal (std 0.001) init of
            the classifiers.

    Example:
        >>> head = InstructReIDHead(8, {'ltcc/cc': 3, 'prcc/cc': 5},
        ...                         fusion_channels=6)
        >>> samples = [
        ...     ReIDDataSample(metainfo=dict(dataset_name='ltcc'))
        ...     .set_task('cc').set_pid(p) for p in (0, 0, 2, 2)]
        >>> g, u, v = torch.randn(4, 8), torch.randn(4, 6), torch.randn(4, 6)
        >>> instr_cls = torch.randn(4, 16)
        >>> losses = head.loss(g, u, v, instr_cls, samples)
        >>> sorted(losses)  # doctest: +NORMALIZE_WHITESPACE
        ['accuracy_top-1', 'loss_cls_g', 'loss_cls_u', 'loss_cls_v',
         'loss_triplet_g', 'loss_triplet_u', 'loss_triplet_v']
        >>> head.predict(g, u, v, samples)[0].pred_feature.shape
        torch.Size([12])
        >>> test_head = InstructReIDHead(8, None, fusion_channels=6).eval()
        >>> len(test_head.classifiers), test_head.for_training
        (0, False)
        >>> test_head.predict(g, u, v, samples)[0].pred_feature.shape
        torch.Size([12])
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: Union[int, Dict[str, int], None],
                 fusion_channels: Optional[int] = None,
                 share_uv_neck: bool = False,
                 uv_triplet_after_bn: bool = False,
                 triplet_weight: float = 3.0,
                 fused_weight: float = 0.5,
                 loss_cls: dict = dict(
                     type='LabelSmoothCrossEntropyLoss', label_smoothing=0.1),
                 loss_triplet: dict = dict(
                     type='AdaptiveTripletLoss', margin=0.3),
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Linear', std=0.001)):
        super().__init__(init_cfg=init_cfg)
        self.num_classes = self._check_num_classes(num_classes)
        self.single = isinstance(num_classes, int)
        self.for_training = num_classes is not None
        self.in_channels = in_channels
        self.fusion_channels = fusion_channels
        self.uv_triplet_after_bn = bool(uv_triplet_after_bn)
        self.triplet_weight = triplet_weight
        self.fused_weight = fused_weight

        self.neck_g = self._bn_neck(in_channels)
        self.neck_u = self.neck_v = None
        if self.with_fusion:
            self.neck_u = self._bn_neck(fusion_channels)
            self.neck_v = (
                self.neck_u
                if share_uv_neck else self._bn_neck(fusion_channels))
        self.module_names = {}
        classifiers = {}
        for key, n in self.num_classes.items():
            name = _module_name(key)
            if name in classifiers:
                raise ValueError(f'classifier keys {key!r} and another one '
                                 f'both map to the module name {name!r}')
            self.module_names[key] = name
            classifiers[name] = self._classifiers(n)
        self.classifiers = nn.ModuleDict(classifiers)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_triplet = MODELS.build(loss_triplet)

    @property
    def with_fusion(self) -> bool:
        """Whether the head uses u and v (``fusion_channels`` is given)."""
        return self.fusion_channels is not None

    @staticmethod
    def _bn_neck(channels: int) -> nn.Module:
        return MODELS.build(dict(type='BNNeck', in_channels=channels))

    @staticmethod
    def _check_num_classes(num_classes) -> Dict[str, int]:
        if num_classes is None:
            return {}
        if isinstance(num_classes, int):
            num_classes = {SINGLE_KEY: num_classes}
        if not isinstance(num_classes, dict) or not num_classes:
            raise TypeError('num_classes must be an int or a non-empty dict '
                            f'{{dataset_name/task: n}} (or None for a '
                            f'test-only head), got {num_classes!r}')
        for key, n in num_classes.items():
            if not isinstance(n, int) or n < 1:
                raise ValueError(f'num_classes[{key!r}] must be an int >= 1, '
                                 f'got {n!r}')
        return dict(num_classes)

    def _classifiers(self, n: int) -> nn.ModuleDict:
        parts = dict(g=nn.Linear(self.in_channels, n, bias=False))
        if self.with_fusion:
            parts['u'] = nn.Linear(self.fusion_channels, n, bias=False)
            parts['v'] = nn.Linear(self.fusion_channels, n, bias=False)
        return nn.ModuleDict(parts)

    def batch_key(self, data_samples: Sequence[ReIDDataSample]) -> str:
        """The classifier key shared by all samples of a training batch."""
        if self.single:
            return SINGLE_KEY
        keys = sorted({classifier_key(s) for s in data_samples})
        if len(keys) != 1:
            raise ValueError(
                'a training batch must come from one dataset and task (one '
                f'ID classifier), got {keys}; use a sampler that draws each '
                'batch from one training list')
        if keys[0] not in self.num_classes:
            raise KeyError(f'no ID classifier for {keys[0]!r}: model.head.'
                           f'num_classes has {list(self.num_classes)}')
        return keys[0]

    def loss(self, g: torch.Tensor, u: Optional[torch.Tensor],
             v: Optional[torch.Tensor], instr_cls: Optional[torch.Tensor],
             data_samples: List[ReIDDataSample]) -> Dict[str, torch.Tensor]:
        """Compute the weighted training losses.

        Args:
            g (Tensor): (B, in_channels) image CLS.
            u (Tensor | None): (B, fusion_channels); None without fusion.
            v (Tensor | None): (B, fusion_channels); None without fusion.
            instr_cls (Tensor | None): (B, C') instruction CLS embeddings
                for the adaptive triplet; None makes it the batch-hard
                triplet.
            data_samples (list[ReIDDataSample]): Samples with ``pid`` (and
                ``dataset_name``/``task`` with several classifiers).

        Returns:
            dict[str, Tensor]: ``loss_cls_g``, ``loss_triplet_g`` and, with
            fusion, ``loss_cls_u``, ``loss_cls_v``, ``loss_triplet_u``,
            ``loss_triplet_v``, each already weighted; ``accuracy_top-1``
            (of g's classifier, logged, not optimised).

        Raises:
            RuntimeError: The head was built with ``num_classes=None``.
        """
        if not self.for_training:
            raise RuntimeError(
                'InstructReIDHead(num_classes=None) was built for testing '
                'only and has no ID classifiers, so it cannot compute '
                'training losses; set model.head.num_classes to the number '
                'of training identities (an int, or a dict '
                '{dataset_name/task: n}) to train')
        key = self.batch_key(data_samples)
        labels = pid_labels(data_samples, self.num_classes[key], g.device,
                            f'the ID classifier {key!r}')
        classifiers = self.classifiers[self.module_names[key]]
        a, w = self.triplet_weight, self.fused_weight
        logits_g = classifiers['g'](self.neck_g(g))
        losses = dict(
            loss_cls_g=self.loss_cls(logits_g, labels),
            loss_triplet_g=a * self.loss_triplet(g, labels, instr_cls))
        if self.with_fusion:
            if u is None or v is None:
                raise ValueError(
                    f'InstructReIDHead(fusion_channels={self.fusion_channels})'
                    ' needs u and v; got None')
            for name, feat, neck in (('u', u, self.neck_u), ('v', v,
                                                             self.neck_v)):
                bn_feat = neck(feat)
                logits = classifiers[name](bn_feat)
                losses[f'loss_cls_{name}'] = w * self.loss_cls(logits, labels)
                losses[f'loss_triplet_{name}'] = a * w * self.loss_triplet(
                    bn_feat if self.uv_triplet_after_bn else feat, labels,
                    instr_cls)
        with torch.no_grad():
            losses['accuracy_top-1'] = (logits_g.argmax(1)
                                        == labels).float().mean() * 100
        return losses

    def retrieval_feature(self, g: torch.Tensor, u: Optional[torch.Tensor],
                          v: Optional[torch.Tensor]) -> torch.Tensor:
        """``concat(BN(u), BN(v))``, or ``BN(g)`` without fusion."""
        if not self.with_fusion:
            return self.neck_g(g)
        return torch.cat([self.neck_u(u), self.neck_v(v)], dim=1)

    @property
    def out_channels(self) -> int:
        """Width of the retrieval feature."""
        return (2 *
                self.fusion_channels if self.with_fusion else self.in_channels)

    def predict(self, g: torch.Tensor, u: Optional[torch.Tensor],
                v: Optional[torch.Tensor],
                data_samples: List[ReIDDataSample]) -> List[ReIDDataSample]:
        """Attach the retrieval feature (:meth:`retrieval_feature`) to each
        sample as ``pred_feature``.

        Args:
            g (Tensor): (B, in_channels) image CLS.
            u (Tensor | None): (B, fusion_channels).
            v (Tensor | None): (B, fusion_channels).
            data_samples (list[ReIDDataSample]): The samples to fill.

        Returns:
            list[ReIDDataSample]: The samples.
        """
        feats = self.retrieval_feature(g, u, v).detach()
        for sample, f in zip(data_samples, feats):
            sample.set_pred_feature(f)
        return data_samples
