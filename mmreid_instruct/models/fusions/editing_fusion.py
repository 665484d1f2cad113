from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks.drop import DropPath
from mmengine.model import BaseModule
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer

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

    def forward(self,
                x: torch.Tensor,
                key_padding_mask: Optional[torch.Tensor] = None,
                first_only: bool = False) -> torch.Tensor:
        """Apply the block.

        Args:
            x (Tensor): (B, L, C) tokens.
            key_padding_mask (Tensor, optional): (B, L) bool, True for keys
                to ignore. Defaults to None.
            first_only (bool): Compute only the output at position 0 (its
                query still attends to every key). Defaults to False.

        Returns:
            Tensor: (B, L, C) tokens, or (B, 1, C) with ``first_only``.
        """
        h = query = self.norm1(x)
        if first_only:
            query, x = h[:, :1], x[:, :1]
        h = self.attn(
            query, h, h, key_padding_mask=key_padding_mask,
            need_weights=False)[0]
        x = x + self.drop_path(self.attn_drop(h))
        return x + self.drop_path(self.ffn(self.norm2(x)))


def run_vit_layer(layer: TransformerEncoderLayer,
                  x: torch.Tensor,
                  key_padding_mask: Optional[torch.Tensor],
                  first_only: bool = False) -> torch.Tensor:
    """Run one of mmpretrain's ``TransformerEncoderLayer`` (a ViT block),
    optionally ignoring padded keys or computing position 0 alone.

    Without a mask and without ``first_only`` this is ``layer(x)`` itself.
    Otherwise it repeats that layer's computation (pre-norm attention with
    its packed qkv, then the FFN), the padded keys masked out of the
    attention and, with ``first_only``, only the query at position 0.

    Args:
        layer (TransformerEncoderLayer): The block.
        x (Tensor): (B, L, C) tokens.
        key_padding_mask (Tensor, optional): (B, L) bool, True for keys to
            ignore.
        first_only (bool): Compute only the output at position 0 (its query
            still attends to every key). Defaults to False.

    Returns:
        Tensor: (B, L, C) tokens, or (B, 1, C) with ``first_only``.

    Example:
        >>> layer = TransformerEncoderLayer(8, 2, 16).eval()
        >>> x = torch.randn(1, 4, 8)
        >>> padded = torch.tensor([[False, False, True, True]])
        >>> out = run_vit_layer(layer, x, padded)
        >>> torch.allclose(out[:, :2], layer(x[:, :2]), atol=1e-6)
        True
        >>> first = run_vit_layer(layer, x, None, first_only=True)
        >>> torch.allclose(first, layer(x)[:, :1], atol=1e-6)
        True
    """
    if key_padding_mask is None and not first_only:
        return layer(x)
    attn = layer.attn
    if attn.v_shortcut:
        raise ValueError('run_vit_layer does not support v_shortcut blocks')
    B, C = x.size(0), attn.embed_dims
    h = layer.ln1(x)

    def split_heads(t, n):  # (B, T, n * C) -> n x (B, heads, T, head_dims)
        return t.reshape(B, t.size(1), n, attn.num_heads,
                         attn.head_dims).permute(2, 0, 3, 1, 4)

    if first_only:
        # The query of position 0 alone; keys and values of every token.
        weight = attn.qkv.weight.split([C, 2 * C])
        bias = ((None, None)
                if attn.qkv.bias is None else attn.qkv.bias.split([C, 2 * C]))
        q, = split_heads(F.linear(h[:, :1], weight[0], bias[0]), 1)
        k, v = split_heads(F.linear(h, weight[1], bias[1]), 2)
        x = x[:, :1]
    else:
        q, k, v = split_heads(attn.qkv(h), 3)
    attn_mask = (None if key_padding_mask is None else
                 ~key_padding_mask[:, None, None, :])
    h = F.scaled_dot_product_attention(
        q,
        k,
        v,
        attn_mask=attn_mask,
        dropout_p=attn.attn_drop if attn.training else 0.)
    h = attn.proj(h.transpose(1, 2).reshape(B, q.size(2), C))
    x = x + attn.out_drop(attn.gamma1(attn.proj_drop(h)))
    return layer.ffn(layer.ln2(x), identity=x)


def run_block(block: nn.Module,
              x: torch.Tensor,
              key_padding_mask: Optional[torch.Tensor],
              first_only: bool = False) -> torch.Tensor:
    """Run an :class:`EditingFusionBlock` or a tied ViT block; with
    ``first_only`` only position 0 is computed (returned as (B, 1, C))."""
    if isinstance(block, EditingFusionBlock):
        return block(x, key_padding_mask, first_only)
    if isinstance(block, TransformerEncoderLayer):
        return run_vit_layer(block, x, key_padding_mask, first_only)
    if key_padding_mask is not None:
        raise TypeError(f'cannot mask the padding in a {type(block).__name__}'
                        '; set mask_padding=False')
    return block(x)[:, :1] if first_only else block(x)


@MODELS.register_module()
class EditingFusion(BaseModule):
    """The instruction fusion of Instruct-ReID, the paper's "editing
    transformer": the instruction edits the image feature and the image
    edits the instruction feature.

    Two sequences go through ``num_layers`` transformer blocks:

    - [image CLS ; instruction tokens without their CLS] -> u, the output at
      position 0;
    - [instruction CLS ; image patch tokens] -> v, the output at position 0.

    With ``mask_padding=True`` (the default) the instruction's padding is
    masked out of the attention keys, so u does not depend on how much
    padding a batch has; ``mask_padding=False`` lets the blocks attend to
    the padded positions, as the official code does (needed for its
    checkpoints). Tokens whose width is not ``embed_dims`` are first
    projected by a linear layer.

    **Tied blocks.** ``tie_to_backbone_blocks=(0, 11)`` builds no blocks of
    its own: the fusion runs the backbone's blocks 0 and then 11 (in the
    given order, for u and v alike), with the backbone's weights, in
    training too; this is what the official model computes and trains.
    :class:`InstructReID` ties them when it is built
    (:meth:`tie_blocks`). The fusion keeps only a plain reference to those
    blocks, not a submodule, so their weights appear once in the state dict
    and in ``named_parameters`` (under ``backbone.``), and the optimizer
    sees them once. Design notes: ``docs/en/advanced_guides/irm.md``.

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
        mask_padding (bool): Mask the instruction's padding out of the
            attention. Defaults to True.
        last_block_cls_only (bool): The last block computes only position
            0, the one u and v are read from (its query still attends to
            every token). The same function with less compute, but not the
            same rounding (GELU and attention round a one-token slice
            differently), so a model trained with it does not reproduce
            one trained without it to the digit. Defaults to False.
        tie_to_backbone_blocks (Sequence[int], optional): Indices of the
            backbone blocks to run instead of own blocks (``num_layers``
            must equal their number; the block arguments above are then
            unused). Defaults to None (own blocks).
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
        >>> # Running two blocks of a ViT instead of own blocks:
        >>> vit = [TransformerEncoderLayer(32, 2, 64) for _ in range(3)]
        >>> tied = EditingFusion(img_dims=32, instr_dims=16, num_heads=2,
        ...                      tie_to_backbone_blocks=(0, 2))
        >>> tied.tie_blocks(vit)
        >>> tied.active_blocks()[1] is vit[2]
        True
        >>> [name for name, _ in tied.named_parameters()]  # no own blocks
        ['instr_proj.weight', 'instr_proj.bias']
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
                 mask_padding: bool = True,
                 last_block_cls_only: bool = False,
                 tie_to_backbone_blocks: Optional[Sequence[int]] = None,
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
        self.mask_padding = mask_padding
        self.last_block_cls_only = last_block_cls_only
        self.img_proj = width_projection(img_dims, embed_dims)
        self.instr_proj = width_projection(instr_dims, embed_dims)

        self.tie_to_backbone_blocks = self._check_tie(tie_to_backbone_blocks,
                                                      num_layers, share_blocks)
        self.blocks = self.v_blocks = None
        if self.tie_to_backbone_blocks is not None:
            # Filled by tie_blocks(); a plain tuple, not a submodule.
            self._tied_blocks = None
        else:

            def make_blocks():
                return nn.ModuleList(
                    EditingFusionBlock(
                        embed_dims, num_heads, feedforward_channels or 4 *
                        embed_dims, drop_rate, attn_drop_rate, drop_path_rate)
                    for _ in range(num_layers))

            # The blocks for u, and for v too when shared; else v_blocks.
            self.blocks = make_blocks()
            self.v_blocks = None if share_blocks else make_blocks()
        self.norm = (
            nn.LayerNorm(embed_dims, eps=1e-6)
            if final_norm else nn.Identity())

    @staticmethod
    def _check_tie(tie, num_layers, share_blocks):
        if tie is None:
            return None
        tie = tuple(tie)
        if not tie or not all(isinstance(i, int) for i in tie):
            raise ValueError('tie_to_backbone_blocks must be a non-empty '
                             f'sequence of block indices, got {tie!r}')
        if num_layers != len(tie):
            raise ValueError(
                f'num_layers={num_layers} contradicts tie_to_backbone_blocks='
                f'{tie} ({len(tie)} blocks); give num_layers={len(tie)}')
        if not share_blocks:
            raise ValueError('tie_to_backbone_blocks runs the same backbone '
                             'blocks for u and v: share_blocks must be True')
        return tie

    def active_blocks(self) -> Sequence[nn.Module]:
        """The blocks that compute u (and v when shared): ``blocks``, or the
        tied backbone blocks."""
        if self.tie_to_backbone_blocks is None:
            return self.blocks
        if self._tied_blocks is None:
            raise RuntimeError(
                'EditingFusion(tie_to_backbone_blocks='
                f'{self.tie_to_backbone_blocks}) is not tied yet: '
                'InstructReID ties it when built; standalone, call '
                'fusion.tie_blocks(backbone.layers)')
        return self._tied_blocks

    def tie_blocks(self, backbone_blocks: Sequence[nn.Module]) -> None:
        """Make the fusion run ``backbone_blocks[i]`` for each ``i`` of
        ``tie_to_backbone_blocks``.

        Args:
            backbone_blocks (Sequence[nn.Module]): The backbone's blocks,
                e.g. ``backbone.layers`` of a ViT, each ``embed_dims`` wide.
        """
        if self.tie_to_backbone_blocks is None:
            raise RuntimeError('tie_blocks needs tie_to_backbone_blocks')
        if not isinstance(backbone_blocks, (list, tuple, nn.ModuleList)) \
                or not all(isinstance(b, nn.Module) for b in backbone_blocks):
            raise TypeError(
                'tie_to_backbone_blocks needs the backbone\'s list of blocks '
                '(e.g. a ViT\'s `layers`), got '
                f'{type(backbone_blocks).__name__}')
        n = len(backbone_blocks)
        picked = []
        for i in self.tie_to_backbone_blocks:
            if not -n <= i < n:
                raise IndexError(f'tie_to_backbone_blocks: block {i} does '
                                 f'not exist, the backbone has {n} blocks')
            block = backbone_blocks[i]
            width = getattr(block, 'embed_dims', None)
            if width is not None and width != self.embed_dims:
                raise ValueError(
                    f'tie_to_backbone_blocks: backbone block {i} is {width} '
                    f'wide, the fusion\'s embed_dims is {self.embed_dims}')
            picked.append(block)
        self._tied_blocks = tuple(picked)

    def _first_output(self, blocks: Sequence[nn.Module], x: torch.Tensor,
                      key_padding_mask: Optional[torch.Tensor]):
        for i, block in enumerate(blocks):
            first_only = self.last_block_cls_only and i == len(blocks) - 1
            x = run_block(block, x, key_padding_mask, first_only)
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
                padding). Unused with ``mask_padding=False``.

        Returns:
            tuple[Tensor, Tensor]: u (image CLS edited by the instruction)
            and v (instruction CLS edited by the image), each
            (B, embed_dims).
        """
        self._check_inputs(img_tokens, instr_tokens, instr_mask)
        img = self.img_proj(img_tokens)
        instr = self.instr_proj(instr_tokens)

        padding = None
        if instr_mask is not None and self.mask_padding:
            img_cls_valid = instr_mask.new_ones(instr_mask.size(0), 1)
            padding = ~torch.cat([img_cls_valid, instr_mask[:, 1:]], dim=1)
        blocks = self.active_blocks()
        u = self._first_output(blocks,
                               torch.cat([img[:, :1], instr[:, 1:]], dim=1),
                               padding)
        # Image patches are never padded.
        v_blocks = blocks if self.v_blocks is None else self.v_blocks
        v = self._first_output(v_blocks,
                               torch.cat([instr[:, :1], img[:, 1:]], dim=1),
                               None)
        return self.norm(u), self.norm(v)
