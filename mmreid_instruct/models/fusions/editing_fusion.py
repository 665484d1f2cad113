from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmcv.cnn.bricks.drop import DropPath
from mmengine.model import BaseModule

from mmreid_instruct.registry import MODELS
from ..utils import width_projection


class EditingFusionBlock(nn.Module):
    """A pre-norm transformer block whose self-attention can ignore padded
    keys: x + Attn(LN(x)), then x + MLP(LN(x)).

    Args:
        embed_dims (int): Token width.
        num_heads (int): Attention heads.
        feedforward_channels (int): Hidden width of the MLP.
        drop_rate (float): Dropout after the attention and in the MLP.
        attn_drop_rate (float): Dropout on the attention weights.
        drop_path_rate (float): Stochastic depth rate of both branches.

    Example:
        >>> block = EditingFusionBlock(16, 2, 32)
        >>> block(torch.randn(2, 5, 16)).shape
        torch.Size([2, 5, 16])
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 feedforward_channels: int,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dims, eps=1e-6)
        self.attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=attn_drop_rate, batch_first=True)
        self.attn_drop = nn.Dropout(drop_rate)
        self.norm2 = nn.LayerNorm(embed_dims, eps=1e-6)
        self.ffn = nn.Sequential(
            nn.Linear(embed_dims, feedforward_channels), nn.GELU(),
            nn.Dropout(drop_rate), nn.Linear(feedforward_channels, embed_dims),
            nn.Dropout(drop_rate))
        self.drop_path = (
            DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity())

    def forward(
            self,
            x: torch.Tensor,
            key_padding_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Apply the block.

        Args:
            x (Tensor): (B, L, C) tokens.
            key_padding_mask (Tensor, optional): (B, L) bool, True for keys
                to ignore. Defaults to None.

        Returns:
            Tensor: (B, L, C) tokens.
        """
        h = self.norm1(x)
        h = self.attn(
            h, h, h, key_padding_mask=key_padding_mask, need_weights=False)[0]
        x = x + self.drop_path(self.attn_drop(h))
        return x + self.drop_path(self.ffn(self.norm2(x)))


@MODELS.register_module()
class EditingFusion(BaseModule):
    """The instruction fusion of Instruct-ReID, the paper's "editing
    transformer": the instruction edits the image feature and the image
    edits the instruction feature.

    Two sequences go through ``num_layers`` transformer blocks:

    - [image CLS ; instruction tokens without their CLS] -> u, the output at
      position 0;
    - [instruction CLS ; image patch tokens] -> v, the output at position 0.

    The instruction's padding is masked out of the attention keys. Tokens
    whose width is not ``embed_dims`` are first projected by a linear layer.
    Design notes (masking, shared blocks): ``docs/en/advanced_guides/irm.md``.

    Args:
        img_dims (int): Width of the image tokens.
        instr_dims (int): Width of the instruction tokens.
        embed_dims (int, optional): Width inside the blocks and of u and v.
            Defaults to None (``img_dims``).
        num_layers (int): Number of blocks. Defaults to 2.
        num_heads (int): Attention heads. Defaults to 12.
        feedforward_channels (int, optional): MLP hidden width. Defaults to
            None (4 x ``embed_dims``).
        drop_rate (float): Dropout rate. Defaults to 0.
        attn_drop_rate (float): Attention dropout rate. Defaults to 0.
        drop_path_rate (float): Stochastic depth rate, the same for every
            block. Defaults to 0.
        share_blocks (bool): Whether both sequences use the same blocks.
            Defaults to True.
        final_norm (bool): LayerNorm on u and v. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None: truncated normal (std 0.02) linear layers,
            LayerNorms at weight 1 and bias 0.

    Example:
        >>> fusion = EditingFusion(img_dims=32, instr_dims=16, num_heads=2)
        >>> img = torch.randn(4, 1 + 8, 32)    # image CLS + 8 patches
        >>> instr = torch.randn(4, 1 + 5, 16)  # instruction CLS + 5 tokens
        >>> mask = torch.ones(4, 6, dtype=torch.bool)
        >>> mask[0, 3:] = False                # padding of instruction 0
        >>> u, v = fusion(img, instr, mask)
        >>> u.shape, v.shape
        (torch.Size([4, 32]), torch.Size([4, 32]))
    """

    def __init__(self,
                 img_dims: int,
                 instr_dims: int,
                 embed_dims: Optional[int] = None,
                 num_layers: int = 2,
                 num_heads: int = 12,
                 feedforward_channels: Optional[int] = None,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 share_blocks: bool = True,
                 final_norm: bool = False,
                 init_cfg=None):
        if init_cfg is None:
            init_cfg = [
                dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
                dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
            ]
        super().__init__(init_cfg=init_cfg)
        embed_dims = embed_dims or img_dims
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} must be divisible by '
                             f'num_heads={num_heads}')
        self.img_dims = img_dims
        self.instr_dims = instr_dims
        self.embed_dims = embed_dims
        self.img_proj = width_projection(img_dims, embed_dims)
        self.instr_proj = width_projection(instr_dims, embed_dims)

        def make_blocks():
            return nn.ModuleList(
                EditingFusionBlock(
                    embed_dims, num_heads, feedforward_channels or 4 *
                    embed_dims, drop_rate, attn_drop_rate, drop_path_rate)
                for _ in range(num_layers))

        # The blocks for u, and for v too when shared; else v_blocks for v.
        self.blocks = make_blocks()
        self.v_blocks = None if share_blocks else make_blocks()
        self.norm = (
            nn.LayerNorm(embed_dims, eps=1e-6)
            if final_norm else nn.Identity())

    @staticmethod
    def _first_output(blocks: List[nn.Module], x: torch.Tensor,
                      key_padding_mask: Optional[torch.Tensor]):
        for block in blocks:
            x = block(x, key_padding_mask)
        return x[:, 0]

    def _check_inputs(self, img_tokens, instr_tokens, instr_mask):
        if img_tokens.dim() != 3 or img_tokens.size(-1) != self.img_dims:
            raise ValueError(f'img_tokens must be (B, 1 + N, {self.img_dims})'
                             f', got {tuple(img_tokens.shape)}')
        if (instr_tokens.dim() != 3 or instr_tokens.size(-1) != self.instr_dims
                or instr_tokens.size(0) != img_tokens.size(0)):
            raise ValueError(
                f'instr_tokens must be ({img_tokens.size(0)}, 1 + L, '
                f'{self.instr_dims}), got {tuple(instr_tokens.shape)}')
        if instr_mask is not None and (instr_mask.dtype != torch.bool
                                       or instr_mask.shape
                                       != instr_tokens.shape[:2]):
            raise ValueError(
                f'instr_mask must be a bool tensor of shape '
                f'{tuple(instr_tokens.shape[:2])}, got {instr_mask.dtype} '
                f'{tuple(instr_mask.shape)}')

    def forward(
        self,
        img_tokens: torch.Tensor,
        instr_tokens: torch.Tensor,
        instr_mask: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Edit the image and instruction features by each other.

        Args:
            img_tokens (Tensor): (B, 1 + N, img_dims), image CLS first.
            instr_tokens (Tensor): (B, 1 + L, instr_dims), instruction CLS
                first.
            instr_mask (Tensor, optional): (B, 1 + L) bool, True for real
                instruction tokens, False for padding. Defaults to None (no
                padding).

        Returns:
            tuple[Tensor, Tensor]: u (image CLS edited by the instruction)
            and v (instruction CLS edited by the image), each
            (B, embed_dims).
        """
        self._check_inputs(img_tokens, instr_tokens, instr_mask)
        img = self.img_proj(img_tokens)
        instr = self.instr_proj(instr_tokens)

        padding = None
        if instr_mask is not None:
            img_cls_valid = instr_mask.new_ones(instr_mask.size(0), 1)
            padding = ~torch.cat([img_cls_valid, instr_mask[:, 1:]], dim=1)
        u = self._first_output(self.blocks,
                               torch.cat([img[:, :1], instr[:, 1:]], dim=1),
                               padding)
        # Image patches are never padded.
        v_blocks = self.blocks if self.v_blocks is None else self.v_blocks
        v = self._first_output(v_blocks,
                               torch.cat([instr[:, :1], img[:, 1:]], dim=1),
                               None)
        return self.norm(u), self.norm(v)
