from typing import Tuple

import torch
import torch.nn as nn
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import resize_pos_embed

from mmreid_instruct.registry import MODELS


@MODELS.register_module()
class PASSVisionTransformer(VisionTransformer):
    """mmpretrain's Vision Transformer with the part tokens of PASS.

    PASS (Part-Aware Self-Supervised pre-training for person ReID) adds
    ``num_part_tokens`` learnable tokens, each with its own position
    embedding, between the CLS token and the patch tokens. They take part in
    the attention of every layer and are removed after the final LayerNorm,
    so the output has the layout of :class:`VisionTransformer`'s (CLS first,
    then the patches) and every ``out_type`` means the same.
    ``num_part_tokens=0`` is exactly mmpretrain's ``VisionTransformer``.

    Parameters on top of the ViT's: ``part_tokens`` (1, P, C) and
    ``part_pos_embed`` (1, P, C), both initialised with a truncated normal
    (std 0.02) unless pretrained; ``pos_embed`` keeps the ViT's shape (the
    CLS row first, then the patch grid). The PASS checkpoint converter
    (``tools/model_converters/pass_to_mmreid.py``) fills all of them.

    Args:
        num_part_tokens (int): Number of part tokens (PASS uses 3).
            Defaults to 3.
        **kwargs: The arguments of mmpretrain's ``VisionTransformer``;
            ``with_cls_token`` must stay True.

    Example:
        >>> vit = PASSVisionTransformer(
        ...     num_part_tokens=3, out_type='raw', img_size=(32, 16),
        ...     patch_size=8, arch=dict(embed_dims=16, num_layers=2,
        ...                             num_heads=2, feedforward_channels=32))
        >>> vit(torch.randn(2, 3, 32, 16))[-1].shape  # CLS + 4 x 2 patches
        torch.Size([2, 9, 16])
        >>> tuple(vit.part_tokens.shape), tuple(vit.pos_embed.shape)
        ((1, 3, 16), (1, 9, 16))
    """

    def __init__(self, num_part_tokens: int = 3, **kwargs):
        if not isinstance(num_part_tokens, int) or num_part_tokens < 0:
            raise ValueError('num_part_tokens must be an int >= 0, got '
                             f'{num_part_tokens!r}')
        if not kwargs.get('with_cls_token', True):
            raise ValueError('PASSVisionTransformer needs with_cls_token=True '
                             '(the part tokens follow the CLS token)')
        super().__init__(**kwargs)
        self.num_part_tokens = num_part_tokens
        if num_part_tokens:
            shape = (1, num_part_tokens, self.embed_dims)
            self.part_tokens = nn.Parameter(torch.zeros(shape))
            self.part_pos_embed = nn.Parameter(torch.zeros(shape))

    def init_weights(self):
        """Initialise as the ViT does; random part tokens and their position
        embeddings get a truncated normal (std 0.02)."""
        super().init_weights()
        pretrained = (
            isinstance(self.init_cfg, dict)
            and self.init_cfg.get('type') == 'Pretrained')
        if self.num_part_tokens and not pretrained:
            trunc_normal_(self.part_tokens, std=0.02)
            trunc_normal_(self.part_pos_embed, std=0.02)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Encode images.

        Args:
            x (Tensor): (B, 3, H, W) images.

        Returns:
            tuple[Tensor]: One output per ``out_indices``, formatted by
            ``out_type`` from the CLS and patch tokens (part tokens
            removed).
        """
        if not self.num_part_tokens:
            return super().forward(x)
        B = x.shape[0]
        x, patch_resolution = self.patch_embed(x)
        pos_embed = resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)
        n_extra = self.num_extra_tokens
        cls = self.cls_token.expand(B, -1, -1) + pos_embed[:, :n_extra]
        parts = self.part_tokens.expand(B, -1, -1) + self.part_pos_embed
        x = torch.cat([cls, parts, x + pos_embed[:, n_extra:]], dim=1)
        x = self.drop_after_pos(x)
        x = self.pre_norm(x)

        parts = slice(n_extra, n_extra + self.num_part_tokens)
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                kept = torch.cat([x[:, :parts.start], x[:, parts.stop:]],
                                 dim=1)
                outs.append(self._format_output(kept, patch_resolution))
        return tuple(outs)
