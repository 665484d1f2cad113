import math
from typing import Optional

import torch

from .export_graph import padded_mask, random_images
from .instruct_reid_graph import InstructReIDGraph


class EncodedInstructReIDGraph(InstructReIDGraph):
    """:class:`InstructReID` with an instruction already encoded, as a
    traceable graph: (images, instr_tokens, instr_mask) → retrieval feature.

    The instruction inputs are the outputs of :class:`TextInstructionGraph`
    (or of the image instruction encoder and its projection), so a fixed
    instruction is encoded once and repeated along the batch. Instructions
    of different lengths share a batch when padded to one length with
    ``instr_mask`` False on the padding.

    Inputs: ``images`` (B, 3, H, W) float 0-255 (see :class:`ExportGraph`),
    ``instr_tokens`` (B, L, ``fusion.instr_dims``) float, ``instr_mask``
    (B, L) bool. Output: ``feature`` (B, ``head.out_channels``).

    Args:
        model (InstructReID): The model, not instruction-blind.

    Example:
        >>> from mmreid_instruct.registry import MODELS
        >>> from mmreid_instruct.deploy import TextInstructionGraph
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
        >>> tokens = model.text_encoder.tokenize(['do not change clothes'])
        >>> instr_tokens, instr_mask, _ = TextInstructionGraph(model)(
        ...     tokens['input_ids'], tokens['attention_mask'])
        >>> images = torch.rand(4, 3, 32, 16) * 255
        >>> graph = EncodedInstructReIDGraph(model)
        >>> graph(images, instr_tokens.expand(4, -1, -1),
        ...       instr_mask.expand(4, -1)).shape
        torch.Size([4, 64])
    """

    input_names = ('images', 'instr_tokens', 'instr_mask')
    input_axes = {
        'images': {
            0: 'batch'
        },
        'instr_tokens': {
            0: 'batch',
            1: 'length'
        },
        'instr_mask': {
            0: 'batch',
            1: 'length'
        },
    }

    @property
    def max_length(self) -> int:
        """The longest instruction: the text encoder's ``max_length`` or
        the image instruction encoder's token count, whichever is larger."""
        lengths = [self.model.text_encoder.max_length]
        encoder = self.model.image_instruction_encoder
        resolution = getattr(
            getattr(encoder, 'backbone', None), 'patch_resolution', None)
        if resolution is not None:
            lengths.append(1 + math.prod(resolution))
        return max(lengths)

    def forward(self, images: torch.Tensor, instr_tokens: torch.Tensor,
                instr_mask: torch.Tensor) -> torch.Tensor:
        """Retrieval features of images with encoded instructions."""
        return self.fused_feature(images, instr_tokens, instr_mask)

    def example_inputs(self,
                       batch_size: int = 2,
                       length: Optional[int] = None,
                       generator: Optional[torch.Generator] = None) -> tuple:
        """Random images and instruction tokens with varied padding;
        ``length`` defaults to ``min(7, max_length)``."""
        mask = padded_mask(batch_size, length or min(7, self.max_length),
                           torch.bool)
        tokens = torch.randn(
            *mask.shape, self.model.fusion.instr_dims, generator=generator)
        return (random_images(batch_size, self.img_size,
                              generator), tokens, mask)
