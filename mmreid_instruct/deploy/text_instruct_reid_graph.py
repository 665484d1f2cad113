from typing import Optional

import torch
import torch.nn as nn

from .export_graph import padded_mask, random_images
from .instruct_reid_graph import InstructReIDGraph


def random_token_ids(
        mask: torch.Tensor,
        text_encoder: nn.Module,
        generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Random token ids shaped like ``mask``: [CLS] first, ids of the
    tokenizer's vocabulary on the real tokens, [PAD] on the padding."""
    tokenizer = text_encoder.tokenizer
    ids = torch.randint(
        0, len(tokenizer), mask.shape, generator=generator, dtype=torch.long)
    ids[:, 0] = tokenizer.cls_token_id
    return ids.masked_fill(mask == 0, tokenizer.pad_token_id)


class TextInstructReIDGraph(InstructReIDGraph):
    """:class:`InstructReID` with a text instruction, as a traceable graph:
    (images, input_ids, attention_mask) → retrieval feature.

    Tokenisation stays outside the graph: ``input_ids`` and
    ``attention_mask`` are what ``model.text_encoder.tokenize(texts)`` gives
    (the model's Hugging Face tokenizer, padded to the longest text,
    truncated to ``max_length``).

    Inputs: ``images`` (B, 3, H, W) float 0-255 (see :class:`ExportGraph`),
    ``input_ids`` and ``attention_mask`` (B, L) int64. Output: ``feature``
    (B, ``head.out_channels``).

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
        >>> graph = TextInstructReIDGraph(model)
        >>> tokens = model.text_encoder.tokenize(['ignore clothes', 'a hat'])
        >>> images = torch.rand(2, 3, 32, 16) * 255
        >>> graph(images, tokens['input_ids'],
        ...       tokens['attention_mask']).shape
        torch.Size([2, 64])
    """

    input_names = ('images', 'input_ids', 'attention_mask')
    input_axes = {
        'images': {
            0: 'batch'
        },
        'input_ids': {
            0: 'batch',
            1: 'length'
        },
        'attention_mask': {
            0: 'batch',
            1: 'length'
        },
    }

    @property
    def max_length(self) -> int:
        """The text encoder's ``max_length``."""
        return self.model.text_encoder.max_length

    def forward(self, images: torch.Tensor, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> torch.Tensor:
        """Retrieval features of images with text instructions."""
        model = self.model
        instr = model.text_encoder(
            dict(input_ids=input_ids, attention_mask=attention_mask))
        return self.fused_feature(images, model.text_proj(instr['tokens']),
                                  instr['mask'])

    def example_inputs(self,
                       batch_size: int = 2,
                       length: Optional[int] = None,
                       generator: Optional[torch.Generator] = None) -> tuple:
        """Random images and token ids with varied padding (see
        :meth:`ExportGraph.example_inputs`); ``length`` defaults to
        ``min(7, max_length)``."""
        mask = padded_mask(batch_size, length or min(7, self.max_length))
        return (random_images(batch_size, self.img_size, generator),
                random_token_ids(mask, self.model.text_encoder,
                                 generator), mask)
