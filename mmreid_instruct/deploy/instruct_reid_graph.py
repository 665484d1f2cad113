import torch
import torch.nn as nn

from .export_graph import ExportGraph, input_size


def instruct_reid_model(model: nn.Module, graph: str) -> nn.Module:
    """Check that ``model`` is an :class:`InstructReID` with its instruction
    branch, and return it.

    Args:
        model (nn.Module): The model to export.
        graph (str): The graph's class, named in the error.

    Returns:
        nn.Module: ``model``.

    Example:
        >>> instruct_reid_model(nn.Linear(2, 2), 'TextInstructReIDGraph')
        Traceback (most recent call last):
        ...
        TypeError: TextInstructReIDGraph exports an InstructReID model, got Linear
    """  # noqa: E501
    from mmreid_instruct.models.reiders import InstructReID
    if not isinstance(model, InstructReID):
        raise TypeError(f'{graph} exports an InstructReID model, got '
                        f'{type(model).__name__}')
    if model.instruction_blind:
        raise ValueError(
            f'{graph} needs the instruction branch, but the model is '
            'instruction_blind=True: export it with ImageReIDGraph')
    return model


class InstructReIDGraph(ExportGraph):
    """Base of the graphs of :class:`InstructReID` that give the retrieval
    feature of an (image, instruction) pair: ``concat(BN(u), BN(v))``, the
    ``pred_feature`` of the predict mode.

    Subclasses turn their instruction inputs into projected instruction
    tokens and a mask, then call :meth:`fused_feature`.

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
        >>> graph = InstructReIDGraph(model)
        >>> images = torch.rand(2, 3, 32, 16) * 255
        >>> instr_tokens = torch.randn(2, 6, 16)
        >>> instr_mask = torch.ones(2, 6, dtype=torch.bool)
        >>> graph.fused_feature(images, instr_tokens, instr_mask).shape
        torch.Size([2, 64])
    """

    def __init__(self, model: nn.Module):
        super().__init__(instruct_reid_model(model, type(self).__name__))
        self.img_size = input_size(model.backbone, 'backbone')

    def fused_feature(self, images: torch.Tensor, instr_tokens: torch.Tensor,
                      instr_mask: torch.Tensor) -> torch.Tensor:
        """The retrieval feature of images edited by instructions.

        Args:
            images (Tensor): (B, 3, H, W) 0-255 images.
            instr_tokens (Tensor): (B, 1 + L, fusion.instr_dims) projected
                instruction tokens, CLS first.
            instr_mask (Tensor): (B, 1 + L) bool, True for real tokens.

        Returns:
            Tensor: (B, head.out_channels) retrieval features.
        """
        model = self.model
        tokens = model.image_tokens(self.normalize(images))
        u, v = model.fusion(tokens, instr_tokens, instr_mask)
        return model.head.retrieval_feature(tokens[:, 0], u, v)
