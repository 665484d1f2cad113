from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from mmreid_instruct.registry import MODELS
from mmreid_instruct.structures import ReIDDataSample
from ..utils import build_data_preprocessor


@MODELS.register_module()
class ImageReID(BaseModel):
    """An image-only (instruction-blind) ReID model.

    ``backbone`` → optional ``neck`` → ``head``. This is the standard strong
    baseline when the backbone is a ViT and the head a :class:`ReIDHead`.

    Args:
        backbone (dict): Backbone config, e.g.
            ``dict(type='mmpretrain.VisionTransformer', ...)``.
        head (dict): Head config, e.g. ``dict(type='ReIDHead', ...)``.
        neck (dict, optional): Neck config applied to the backbone output.
        data_preprocessor (dict | nn.Module, optional): Defaults to None
            (``ReIDDataPreprocessor``).
        init_cfg (dict, optional): Initialisation config.

    Example:
        >>> model = MODELS.build(dict(
        ...     type='ImageReID',
        ...     backbone=dict(type='mmpretrain.VisionTransformer',
        ...                   arch='deit-tiny', img_size=(64, 32),
        ...                   out_type='cls_token'),
        ...     head=dict(type='ReIDHead', in_channels=192, num_classes=751)))
        >>> model(torch.randn(2, 3, 64, 32), mode='tensor').shape
        torch.Size([2, 192])
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=build_data_preprocessor(data_preprocessor),
            init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)

    def extract_feat(self, inputs: torch.Tensor):
        """Backbone (and neck) features of a batch of images."""
        if inputs is None:
            raise ValueError(f'{type(self).__name__} needs images; this '
                             'batch has only captions.')
        feats = self.backbone(inputs)
        if self.neck is not None:
            feats = self.neck(feats)
        return feats

    def forward(
            self,
            inputs: torch.Tensor,
            data_samples: Optional[List[ReIDDataSample]] = None,
            mode: str = 'tensor') -> Union[dict, list, torch.Tensor, tuple]:
        """The unified entry of the model.

        Args:
            inputs (Tensor): (N, C, H, W) normalised images.
            data_samples (list[ReIDDataSample], optional): Labels.
            mode (str): ``'loss'`` returns a dict of losses, ``'predict'``
                the data samples with ``pred_feature``, ``'tensor'`` the raw
                features.

        Returns:
            dict | list | Tensor | tuple: Depends on ``mode``.
        """
        if mode == 'tensor':
            return self.head.pre_logits(self.extract_feat(inputs))
        if mode == 'loss':
            return self.head.loss(self.extract_feat(inputs), data_samples)
        if mode == 'predict':
            if data_samples is None:
                data_samples = [ReIDDataSample() for _ in range(len(inputs))]
            return self.head.predict(self.extract_feat(inputs), data_samples)
        raise RuntimeError(f'Invalid mode "{mode}": expected "loss", '
                           '"predict" or "tensor".')
