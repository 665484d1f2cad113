import copy
from contextlib import nullcontext
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule

from mmreid_instruct.registry import MODELS
from ..utils import backbone_tokens

# ViT-B/16 at 128x128, returning every token (CLS first), as in the paper.
DEFAULT_BACKBONE = dict(
    type='mmpretrain.VisionTransformer',
    arch='b',
    img_size=128,
    patch_size=16,
    out_type='raw',
    with_cls_token=True)


@MODELS.register_module()
class ImageInstructionEncoder(BaseModule):
    """Image instruction encoder for clothes-template and clothes images: a
    backbone that returns all its tokens with the CLS token first.

    mmpretrain's ``VisionTransformer`` with ``out_type='raw'`` and
    ``with_cls_token=True`` returns a tuple holding one (B, 1 + N, C) tensor
    per ``out_indices`` (the last layer by default, after the final
    LayerNorm); the last one is used.

    Args:
        backbone (dict, optional): Backbone config. Defaults to None, meaning
            :data:`DEFAULT_BACKBONE` (ViT-B/16 at 128x128).
        frozen (bool): No gradients, and the backbone stays in eval mode.
            Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> enc = ImageInstructionEncoder(backbone=dict(
        ...     type='mmpretrain.VisionTransformer',
        ...     arch=dict(embed_dims=32, num_layers=1, num_heads=2,
        ...               feedforward_channels=64),
        ...     img_size=128, patch_size=16, out_type='raw'))
        >>> out = enc(torch.randn(2, 3, 128, 128))
        >>> out['tokens'].shape, out['mask'].shape, out['cls'].shape
        (torch.Size([2, 65, 32]), torch.Size([2, 65]), torch.Size([2, 32]))
    """

    def __init__(self,
                 backbone: Optional[dict] = None,
                 frozen: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(
            copy.deepcopy(DEFAULT_BACKBONE if backbone is None else backbone))
        self.frozen = frozen
        if frozen:
            self.backbone.requires_grad_(False)
            self.backbone.eval()

    @property
    def embed_dims(self) -> Optional[int]:
        """Width of the output tokens, when the backbone tells it."""
        return getattr(self.backbone, 'embed_dims', None)

    def train(self, mode: bool = True):
        """Set the train mode; a frozen backbone stays in eval mode."""
        super().train(mode)
        if self.frozen:
            self.backbone.eval()
        return self

    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Encode instruction images.

        Args:
            images (Tensor): (B, 3, H, W), normalised.

        Returns:
            dict: ``tokens`` (B, 1 + N, C) with CLS first, ``mask``
            (B, 1 + N) bool, all True, and ``cls`` (B, C), the instruction
            CLS embedding (``instr_cls`` in :class:`InstructReID`).
        """
        with torch.no_grad() if self.frozen else nullcontext():
            tokens = backbone_tokens(
                self.backbone(images), 'ImageInstructionEncoder')
        mask = tokens.new_ones(tokens.shape[:2], dtype=torch.bool)
        return dict(tokens=tokens, mask=mask, cls=tokens[:, 0])
