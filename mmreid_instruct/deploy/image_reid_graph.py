from typing import Optional

import torch
import torch.nn as nn

from .export_graph import ExportGraph, input_size, random_images


class ImageReIDGraph(ExportGraph):
    """An instruction-blind model as a traceable graph: images → retrieval
    feature.

    It serves :class:`ImageReID` (the feature of its ``ReIDHead``'s
    predict mode: after the BN neck with ``test_feature='bn'``) and
    :class:`InstructReID` with ``instruction_blind=True`` (``BN(g)``).

    Input: ``images`` (B, 3, H, W) float 0-255 (see :class:`ExportGraph`).
    Output: ``feature`` (B, C).

    Args:
        model (ImageReID | InstructReID): The model.

    Example:
        >>> from mmreid_instruct.registry import MODELS
        >>> model = MODELS.build(dict(
        ...     type='ImageReID',
        ...     backbone=dict(type='mmpretrain.VisionTransformer',
        ...                   arch='deit-tiny', img_size=(64, 32),
        ...                   out_type='cls_token'),
        ...     head=dict(type='ReIDHead', in_channels=192,
        ...               num_classes=751))).eval()
        >>> graph = ImageReIDGraph(model)
        >>> graph(torch.rand(2, 3, 64, 32) * 255).shape
        torch.Size([2, 192])
    """

    input_names = ('images', )
    input_axes = {'images': {0: 'batch'}}

    def __init__(self, model: nn.Module):
        from mmreid_instruct.models.reiders import ImageReID, InstructReID
        if isinstance(model, InstructReID):
            if not model.instruction_blind:
                raise ValueError(
                    'ImageReIDGraph exports instruction-blind models; this '
                    'InstructReID uses instructions: export it with '
                    'TextInstructReIDGraph or ImageInstructReIDGraph')
        elif isinstance(model, ImageReID):
            head = model.head
            if not (hasattr(head, 'pre_logits')
                    and getattr(head, 'test_feature', None) in ('bn', 'pre')):
                raise TypeError(
                    'ImageReIDGraph reads the feature of a ReIDHead '
                    "(pre_logits and test_feature 'bn' or 'pre'); the model "
                    f'has {type(head).__name__}')
        else:
            raise TypeError('ImageReIDGraph exports ImageReID or an '
                            'instruction-blind InstructReID, got '
                            f'{type(model).__name__}')
        super().__init__(model)
        self.img_size = input_size(model.backbone, 'backbone')

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Retrieval features of images."""
        model = self.model
        images = self.normalize(images)
        if hasattr(model, 'instruction_blind'):
            g = model.image_tokens(images)[:, 0]
            return model.head.retrieval_feature(g, None, None)
        feat = model.head.pre_logits(model.extract_feat(images))
        return model.head.neck(feat) \
            if model.head.test_feature == 'bn' else feat

    def example_inputs(self,
                       batch_size: int = 2,
                       length: Optional[int] = None,
                       generator: Optional[torch.Generator] = None) -> tuple:
        """Random images (``length`` unused)."""
        return (random_images(batch_size, self.img_size, generator), )
