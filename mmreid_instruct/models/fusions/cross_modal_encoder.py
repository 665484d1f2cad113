from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmreid_instruct.registry import MODELS


def bert_init(module: nn.Module) -> None:
    """BERT's initialisation, applied to one module: Linear weights normal
    with std 0.02 and zero biases, LayerNorm weights 1 and biases 0.

    Args:
        module (nn.Module): A module; other types are left unchanged.

    Example:
        >>> norm = nn.LayerNorm(4)
        >>> _ = norm.weight.data.fill_(3.)
        >>> bert_init(norm)
        >>> norm.weight.tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0., std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class AttentionProjections(nn.Module):
    """The query, key and value projections of a BERT attention.

    Args:
        embed_dims (int): Width of the queries' tokens and of the output.
        kv_dims (int): Width of the keys' and values' tokens.

    Example:
        >>> proj = AttentionProjections(8, 4)
        >>> proj.query.in_features, proj.key.in_features
        (8, 4)
    """

    def __init__(self, embed_dims: int, kv_dims: int):
        super().__init__()
        self.query = nn.Linear(embed_dims, embed_dims)
        self.key = nn.Linear(kv_dims, embed_dims)
        self.value = nn.Linear(kv_dims, embed_dims)


class ResidualOutput(nn.Module):
    """BERT's post-norm residual: ``LayerNorm(dropout(dense(h)) + x)``.

    Args:
        in_dims (int): Width of ``h``.
        embed_dims (int): Width of ``x`` and of the output.
        drop_rate (float): Dropout after the dense layer.
        layer_norm_eps (float): Epsilon of the LayerNorm.

    Example:
        >>> out = ResidualOutput(6, 4, 0., 1e-12)
        >>> out(torch.randn(2, 6), torch.randn(2, 4)).shape
        torch.Size([2, 4])
    """

    def __init__(self, in_dims: int, embed_dims: int, drop_rate: float,
                 layer_norm_eps: float):
        super().__init__()
        self.dense = nn.Linear(in_dims, embed_dims)
        self.LayerNorm = nn.LayerNorm(embed_dims, eps=layer_norm_eps)
        self.dropout = nn.Dropout(drop_rate)

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Return ``LayerNorm(dropout(dense(h)) + x)``."""
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class BertStyleAttention(nn.Module):
    """Multi-head attention with BERT's parameter names
    (``self.{query,key,value}``, ``output.{dense,LayerNorm}``) and its
    post-norm residual. Self-attention when called without ``context``,
    cross-attention to ``context`` otherwise. Never causal.

    Args:
        embed_dims (int): Width of the queries' tokens and of the output.
        num_heads (int): Attention heads; must divide ``embed_dims``.
        kv_dims (int): Width of the keys' and values' tokens.
        drop_rate (float): Dropout after the output projection.
        attn_drop_rate (float): Dropout on the attention weights.
        layer_norm_eps (float): Epsilon of the LayerNorm.

    Example:
        >>> attn = BertStyleAttention(8, 2, 4, 0., 0., 1e-12)
        >>> x, image = torch.randn(2, 3, 8), torch.randn(2, 5, 4)
        >>> attn(x, context=image).shape
        torch.Size([2, 3, 8])
    """

    def __init__(self, embed_dims: int, num_heads: int, kv_dims: int,
                 drop_rate: float, attn_drop_rate: float,
                 layer_norm_eps: float):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'num_heads ({num_heads}) must divide '
                             f'embed_dims ({embed_dims})')
        self.num_heads = num_heads
        self.attn_drop_rate = attn_drop_rate
        # ``self`` is BERT's name for the projections, kept so that BERT
        # checkpoints load.
        self.self = AttentionProjections(embed_dims, kv_dims)
        self.output = ResidualOutput(embed_dims, embed_dims, drop_rate,
                                     layer_norm_eps)

    def forward(self,
                x: torch.Tensor,
                key_mask: Optional[torch.Tensor] = None,
                context: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Attend from ``x`` to ``x`` (or to ``context``).

        Args:
            x (Tensor): (B, L, C) query tokens.
            key_mask (Tensor, optional): (B, M) bool, True for the keys that
                take part (M = L, or the length of ``context``). None: all.
            context (Tensor, optional): (B, M, Ck) tokens to attend to.

        Returns:
            Tensor: (B, L, C) tokens.
        """
        kv = x if context is None else context
        proj = self.self
        q, k, v = (self._heads(proj.query(x)), self._heads(proj.key(kv)),
                   self._heads(proj.value(kv)))
        bias = None
        if key_mask is not None:
            # Additive like BERT's extended mask (a fully masked row then
            # attends uniformly instead of giving NaN).
            bias = torch.zeros(
                key_mask.shape, dtype=q.dtype,
                device=q.device).masked_fill(~key_mask,
                                             torch.finfo(q.dtype).min)[:, None,
                                                                       None, :]
        h = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=bias,
            dropout_p=self.attn_drop_rate if self.training else 0.)
        h = h.transpose(1, 2).flatten(2)
        return self.output(h, x)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        B, L, C = x.shape
        return x.view(B, L, self.num_heads,
                      C // self.num_heads).transpose(1, 2)


class Intermediate(nn.Module):
    """BERT's FFN expansion: ``gelu(dense(x))`` with the exact (erf) GELU.

    Args:
        embed_dims (int): Input width.
        feedforward_channels (int): Output width.

    Example:
        >>> Intermediate(4, 16)(torch.randn(2, 4)).shape
        torch.Size([2, 16])
    """

    def __init__(self, embed_dims: int, feedforward_channels: int):
        super().__init__()
        self.dense = nn.Linear(embed_dims, feedforward_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``gelu(dense(x))``."""
        return F.gelu(self.dense(x))


class CrossModalLayer(nn.Module):
    """One multimodal BERT layer: self-attention over the text, then
    cross-attention from the text to the image tokens, then the FFN, each
    with BERT's post-norm residual. Parameter names follow Hugging Face's
    ``BertLayer`` with cross-attention.

    Args:
        embed_dims (int): Text token width.
        num_heads (int): Attention heads.
        feedforward_channels (int): Hidden width of the FFN.
        encoder_dims (int): Image token width.
        drop_rate (float): Dropout on the residual branches.
        attn_drop_rate (float): Dropout on the attention weights.
        layer_norm_eps (float): Epsilon of the LayerNorms.

    Example:
        >>> layer = CrossModalLayer(8, 2, 16, 4, 0., 0., 1e-12)
        >>> text, image = torch.randn(2, 3, 8), torch.randn(2, 5, 4)
        >>> layer(text, None, image, None).shape
        torch.Size([2, 3, 8])
    """

    def __init__(self, embed_dims: int, num_heads: int,
                 feedforward_channels: int, encoder_dims: int,
                 drop_rate: float, attn_drop_rate: float,
                 layer_norm_eps: float):
        super().__init__()
        self.attention = BertStyleAttention(embed_dims, num_heads, embed_dims,
                                            drop_rate, attn_drop_rate,
                                            layer_norm_eps)
        self.crossattention = BertStyleAttention(embed_dims, num_heads,
                                                 encoder_dims, drop_rate,
                                                 attn_drop_rate,
                                                 layer_norm_eps)
        self.intermediate = Intermediate(embed_dims, feedforward_channels)
        self.output = ResidualOutput(feedforward_channels, embed_dims,
                                     drop_rate, layer_norm_eps)

    def forward(self, text: torch.Tensor, text_mask: Optional[torch.Tensor],
                image: torch.Tensor,
                image_mask: Optional[torch.Tensor]) -> torch.Tensor:
        """Apply the layer.

        Args:
            text (Tensor): (B, L, C) text tokens.
            text_mask (Tensor, optional): (B, L) bool, True for valid text
                tokens (the padding is masked out of the self-attention
                keys). None: all valid.
            image (Tensor): (B, N, Ci) image tokens.
            image_mask (Tensor, optional): (B, N) bool, True for valid image
                tokens. None: all valid.

        Returns:
            Tensor: (B, L, C) text tokens.
        """
        x = self.attention(text, text_mask)
        x = self.crossattention(x, image_mask, context=image)
        return self.output(self.intermediate(x), x)


@MODELS.register_module()
class CrossModalEncoder(BaseModule):
    """The multimodal layers of ALBEF's BERT: text tokens attend to
    themselves and to the image tokens, layer after layer.

    Each layer is a post-norm BERT layer with a non-causal self-attention
    over the text (padding masked out of the keys), a cross-attention from
    the text to the image tokens and an FFN with the exact (erf) GELU; the
    attentions use PyTorch's scaled dot-product attention. Parameter names
    are those of Hugging Face's ``BertLayer`` with cross-attention
    (``layers.{i}.attention.self.query``,
    ``layers.{i}.crossattention.output.LayerNorm``, ...), so that the layers
    6-11 of a converted ALBEF BERT load into it.

    Without ``init_cfg`` the parameters get BERT's initialisation when the
    module is built (Linear weights normal with std 0.02, zero biases,
    LayerNorms 1 and 0).

    Args:
        num_layers (int): Number of layers. Defaults to 6.
        embed_dims (int): Text token width. Defaults to 768.
        num_heads (int): Attention heads. Defaults to 12.
        feedforward_channels (int): Hidden width of the FFN. Defaults to
            3072.
        encoder_dims (int, optional): Image token width (the width of the
            cross-attention keys and values). Defaults to ``embed_dims``.
        drop_rate (float): Dropout on the residual branches. Defaults to
            0.1.
        attn_drop_rate (float): Dropout on the attention weights. Defaults
            to 0.1.
        layer_norm_eps (float): Epsilon of the LayerNorms. Defaults to
            1e-12.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None (BERT's initialisation).

    Example:
        >>> encoder = CrossModalEncoder(
        ...     num_layers=2, embed_dims=8, num_heads=2,
        ...     feedforward_channels=16, encoder_dims=4).eval()
        >>> text, image = torch.randn(2, 3, 8), torch.randn(2, 5, 4)
        >>> mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
        >>> out = encoder(text, mask, image)
        >>> out.shape
        torch.Size([2, 3, 8])
        >>> # padding never changes the valid tokens
        >>> torch.allclose(out[1, :2], encoder(text[1:, :2], None,
        ...                                    image[1:])[0], atol=1e-5)
        True
    """

    def __init__(self,
                 num_layers: int = 6,
                 embed_dims: int = 768,
                 num_heads: int = 12,
                 feedforward_channels: int = 3072,
                 encoder_dims: Optional[int] = None,
                 drop_rate: float = 0.1,
                 attn_drop_rate: float = 0.1,
                 layer_norm_eps: float = 1e-12,
                 init_cfg: Optional[Union[dict, list]] = None):
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.encoder_dims = embed_dims if encoder_dims is None \
            else encoder_dims
        self.layers = nn.ModuleList([
            CrossModalLayer(embed_dims, num_heads, feedforward_channels,
                            self.encoder_dims, drop_rate, attn_drop_rate,
                            layer_norm_eps) for _ in range(num_layers)
        ])
        if init_cfg is None:
            self.apply(bert_init)

    def forward(self,
                text_tokens: torch.Tensor,
                text_mask: Optional[torch.Tensor],
                image_tokens: torch.Tensor,
                image_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Fuse the image into the text tokens.

        Args:
            text_tokens (Tensor): (B, L, C) text tokens (the output of the
                text layers).
            text_mask (Tensor, optional): (B, L) bool or 0/1 int, True (1)
                for valid tokens, False (0) for padding. None: all valid.
            image_tokens (Tensor): (B, N, Ci) image tokens.
            image_mask (Tensor, optional): (B, N) bool or 0/1 int, True (1)
                for valid image tokens. Defaults to None (all valid).

        Returns:
            Tensor: (B, L, C) fused text tokens.
        """
        B, L = text_tokens.shape[:2]
        self._check_shape('text_tokens', text_tokens, (B, L, self.embed_dims))
        self._check_shape('image_tokens', image_tokens,
                          (B, image_tokens.shape[1], self.encoder_dims))
        text_mask = self._bool_mask('text_mask', text_mask, (B, L))
        image_mask = self._bool_mask('image_mask', image_mask,
                                     (B, image_tokens.shape[1]))
        x = text_tokens
        for layer in self.layers:
            x = layer(x, text_mask, image_tokens, image_mask)
        return x

    @staticmethod
    def _check_shape(name: str, tensor: torch.Tensor, shape: tuple) -> None:
        if tensor.dim() != 3 or tuple(tensor.shape) != shape:
            raise ValueError(f'CrossModalEncoder.forward: {name} must have '
                             f'the shape {shape} (B, tokens, width), got '
                             f'{tuple(tensor.shape)}')

    @staticmethod
    def _bool_mask(name: str, mask: Optional[torch.Tensor],
                   shape: tuple) -> Optional[torch.Tensor]:
        if mask is None:
            return None
        if tuple(mask.shape) != shape:
            raise ValueError(f'CrossModalEncoder.forward: {name} must have '
                             f'the shape {shape}, got {tuple(mask.shape)}')
        return mask.bool()
