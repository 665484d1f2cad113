from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmreid_instruct.registry import MODELS
from ..fusions.cross_modal_encoder import bert_init


class PredictionTransform(nn.Module):
    """BERT's transform before the vocabulary decoder:
    ``LayerNorm(gelu(dense(h)))`` with the exact (erf) GELU.

    Args:
        embed_dims (int): Token width.
        layer_norm_eps (float): Epsilon of the LayerNorm.

    Example:
        >>> PredictionTransform(4, 1e-12)(torch.randn(2, 4)).shape
        torch.Size([2, 4])
    """

    def __init__(self, embed_dims: int, layer_norm_eps: float):
        super().__init__()
        self.dense = nn.Linear(embed_dims, embed_dims)
        self.LayerNorm = nn.LayerNorm(embed_dims, eps=layer_norm_eps)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Return ``LayerNorm(gelu(dense(hidden)))``."""
        return self.LayerNorm(F.gelu(self.dense(hidden)))


@MODELS.register_module()
class MaskedLMHead(BaseModule):
    """BERT's masked-language-modelling head with the decoder tied to the
    word embeddings, which are given at each call (so the head owns no copy
    of them).

    ``logits = LayerNorm(gelu(dense(hidden))) @ word_embeddings.T + bias``.
    Parameter names (``transform.dense``, ``transform.LayerNorm``, ``bias``)
    are those of BERT's ``cls.predictions``. Without ``init_cfg`` the
    parameters get BERT's initialisation when the module is built, and the
    bias is zero.

    Args:
        embed_dims (int): Token width. Defaults to 768.
        vocab_size (int): Vocabulary size. Defaults to 30522 (BERT's).
        layer_norm_eps (float): Epsilon of the LayerNorm. Defaults to
            1e-12.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None (BERT's initialisation).

    Example:
        >>> head = MaskedLMHead(embed_dims=8, vocab_size=10)
        >>> word_embeddings = torch.randn(10, 8)
        >>> head(torch.randn(2, 5, 8), word_embeddings).shape
        torch.Size([2, 5, 10])
    """

    def __init__(self,
                 embed_dims: int = 768,
                 vocab_size: int = 30522,
                 layer_norm_eps: float = 1e-12,
                 init_cfg: Optional[Union[dict, list]] = None):
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.vocab_size = vocab_size
        self.transform = PredictionTransform(embed_dims, layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        if init_cfg is None:
            self.apply(bert_init)

    def forward(self, hidden: torch.Tensor,
                word_embeddings: torch.Tensor) -> torch.Tensor:
        """Predict the vocabulary logits of every token.

        Args:
            hidden (Tensor): (..., C) token features.
            word_embeddings (Tensor): (V, C) the text encoder's word
                embedding matrix (the tied decoder weight).

        Returns:
            Tensor: (..., V) logits.
        """
        shape = (self.vocab_size, self.embed_dims)
        if tuple(word_embeddings.shape) != shape:
            raise ValueError(
                'MaskedLMHead.forward: word_embeddings must be (vocab_size, '
                f'embed_dims) = {shape}, got {tuple(word_embeddings.shape)}')
        if hidden.shape[-1] != self.embed_dims:
            raise ValueError('MaskedLMHead.forward: hidden must end with '
                             f'embed_dims={self.embed_dims}, got shape '
                             f'{tuple(hidden.shape)}')
        return F.linear(self.transform(hidden), word_embeddings, self.bias)
