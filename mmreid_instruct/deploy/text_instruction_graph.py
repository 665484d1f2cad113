from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn

from .export_graph import ExportGraph, padded_mask
from .instruct_reid_graph import instruct_reid_model
from .text_instruct_reid_graph import random_token_ids


class TextInstructionGraph(ExportGraph):
    """The text-instruction encoder of :class:`InstructReID` on its own, as
    a traceable graph: (input_ids, attention_mask) → the instruction as the
    fusion consumes it.

    Fixed instructions (the ``trad`` and ``vi`` texts, say) can then be
    encoded once and fed to :class:`EncodedInstructReIDGraph` with every
    image.

    Inputs: ``input_ids`` and ``attention_mask`` (B, L) int64, from
    ``model.text_encoder.tokenize(texts)``. Outputs: ``instr_tokens``
    (B, L, ``fusion.instr_dims``), the encoder's tokens after the model's
    ``text_proj``; ``instr_mask`` (B, L) bool, True for real tokens;
    ``instr_cls`` (B, C), the encoder's [CLS] output before the projection
    (the ``instr_cls`` of the adaptive triplet loss).

    Args:
        model (InstructReID): The model, not instruction-blind.

    Example:
        >>> from mmreid_instruct.registry import MODELS
        >>> model = MODELS.build(dict(
        ...     type='InstructReID', backbone=dict(
        ...         type='mmpretrain.VisionTransformer', out_type='raw',
        ...         arch=dict(embed_dims=32, num_layers=1, num_heads=2,
        ...                   feedforward_channels=64),
        ...         img_size=(32, 16), patch_size=8),
        ...     text_encoder=dict(type='TextInstructionEncoder', config=dict(
        ...         hidden_size=16, num_hidden_layers=1,
        ...         num_attention_heads=2, intermediate_size=32)),
        ...     fusion=dict(type='EditingFusion', num_heads=2),
        ...     head=dict(type='InstructReIDHead', num_classes=10))).eval()
        >>> graph = TextInstructionGraph(model)
        >>> tokens = model.text_encoder.tokenize(['ignore clothes'])
        >>> out = graph(tokens['input_ids'], tokens['attention_mask'])
        >>> [tuple(t.shape) for t in out], out[1].dtype
        ([(1, 15, 16), (1, 15), (1, 16)], torch.bool)
    """

    input_names = ('input_ids', 'attention_mask')
    output_names = ('instr_tokens', 'instr_mask', 'instr_cls')
    input_axes = {
        'input_ids': {
            0: 'batch',
            1: 'length'
        },
        'attention_mask': {
            0: 'batch',
            1: 'length'
        },
    }
    output_axes = {
        'instr_tokens': {
            0: 'batch',
            1: 'length'
        },
        'instr_mask': {
            0: 'batch',
            1: 'length'
        },
        'instr_cls': {
            0: 'batch'
        },
    }

    def __init__(self, model: nn.Module):
        super().__init__(instruct_reid_model(model, type(self).__name__))

    @property
    def max_length(self) -> int:
        """The text encoder's ``max_length``."""
        return self.model.text_encoder.max_length

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode tokenised instructions."""
        model = self.model
        instr: Dict[str, torch.Tensor] = model.text_encoder(
            dict(input_ids=input_ids, attention_mask=attention_mask))
        return model.text_proj(instr['tokens']), instr['mask'], instr['cls']

    def example_inputs(self,
                       batch_size: int = 2,
                       length: Optional[int] = None,
                       generator: Optional[torch.Generator] = None) -> tuple:
        """Random token ids with varied padding; ``length`` defaults to
        ``min(7, max_length)``."""
        mask = padded_mask(batch_size, length or min(7, self.max_length))
        return random_token_ids(mask, self.model.text_encoder, generator), mask
