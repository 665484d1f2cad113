from typing import Optional

import torch
import torch.nn as nn

from .export_graph import input_size, random_images
from .instruct_reid_graph import InstructReIDGraph


class ImageInstructReIDGraph(InstructReIDGraph):
    """:class:`InstructReID` with an instruction image (a clothes image or
    clothes template, the ``ctcc`` and ``cc`` tasks), as a traceable graph:
    (images, instruction_images) → retrieval feature.

    Inputs: ``images`` (B, 3, H, W) and ``instruction_images``
    (B, 3, h, w), both float 0-255 and normalised inside the graph like the
    data preprocessor normalises ``instruction_img`` (see
    :class:`ExportGraph`). Output: ``feature`` (B, ``head.out_channels``).

    Args:
        model (InstructReID): The model, with an
            ``image_instruction_encoder``.

    Example:
        >>> from mmreid_instruct.registry import MODELS
        >>> vit = dict(type='mmpretrain.VisionTransformer', out_type='raw',
        ...            arch=dict(embed_dims=32, num_layers=1, num_heads=2,
        ...                      feedforward_channels=64), patch_size=8)
        >>> model = MODELS.build(dict(
        ...     type='InstructReID', backbone=dict(vit, img_size=(32, 16)),
        ...     text_encoder=dict(type='TextInstructionEncoder', config=dict(
        ...         hidden_size=16, num_hidden_layers=1,
        ...         num_attention_heads=2, intermediate_size=32)),
        ...     image_instruction_encoder=dict(
        ...         type='ImageInstructionEncoder',
        ...         backbone=dict(vit, img_size=16)),
        ...     fusion=dict(type='EditingFusion', num_heads=2),
        ...     head=dict(type='InstructReIDHead', num_classes=10))).eval()
        >>> graph = ImageInstructReIDGraph(model)
        >>> graph.img_size, graph.instruction_img_size
        ((32, 16), (16, 16))
        >>> graph(*graph.example_inputs(batch_size=3)).shape
        torch.Size([3, 64])
    """

    input_names = ('images', 'instruction_images')
    input_axes = {'images': {0: 'batch'}, 'instruction_images': {0: 'batch'}}

    def __init__(self, model: nn.Module):
        super().__init__(model)
        if model.image_instruction_encoder is None:
            raise ValueError(
                'ImageInstructReIDGraph needs a model with an '
                'image_instruction_encoder (model.image_instruction_encoder '
                'in the config); this one takes text instructions only')
        self.instruction_img_size = input_size(
            model.image_instruction_encoder.backbone,
            'image_instruction_encoder')

    def forward(self, images: torch.Tensor,
                instruction_images: torch.Tensor) -> torch.Tensor:
        """Retrieval features of images with instruction images."""
        model = self.model
        instr = model.image_instruction_encoder(
            self.normalize(instruction_images))
        return self.fused_feature(images,
                                  model.instr_img_proj(instr['tokens']),
                                  instr['mask'])

    def example_inputs(self,
                       batch_size: int = 2,
                       length: Optional[int] = None,
                       generator: Optional[torch.Generator] = None) -> tuple:
        """Random images and instruction images (``length`` unused)."""
        return (random_images(batch_size, self.img_size, generator),
                random_images(batch_size, self.instruction_img_size,
                              generator))
