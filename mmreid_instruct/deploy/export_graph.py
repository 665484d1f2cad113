from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn


def input_size(backbone: nn.Module, owner: str) -> Tuple[int, int]:
    """The (H, W) input size a ViT-like backbone was built for.

    Args:
        backbone (nn.Module): A backbone with a ``patch_embed`` that knows
            its ``init_input_size`` (mmpretrain's ``VisionTransformer``).
        owner (str): The backbone's role, named in the error.

    Returns:
        tuple[int, int]: ``(H, W)``.

    Example:
        >>> from mmreid_instruct.registry import MODELS
        >>> vit = MODELS.build(dict(
        ...     type='mmpretrain.VisionTransformer', img_size=(32, 16),
        ...     patch_size=8, arch=dict(embed_dims=32, num_layers=1,
        ...     num_heads=2, feedforward_channels=64)))
        >>> input_size(vit, 'backbone')
        (32, 16)
    """
    size = getattr(
        getattr(backbone, 'patch_embed', None), 'init_input_size', None)
    if size is None:
        raise TypeError(
            f'cannot tell the input size of the {owner} '
            f'({type(backbone).__name__}): ONNX export needs a backbone '
            'whose patch_embed has init_input_size, such as mmpretrain\'s '
            'VisionTransformer')
    return int(size[0]), int(size[1])


def padded_mask(batch_size: int,
                length: int,
                dtype: torch.dtype = torch.long) -> torch.Tensor:
    """A token mask (1 = real token) with trailing padding of varied
    lengths: row ``i`` keeps ``max(2, length - i)`` tokens.

    Args:
        batch_size (int): Rows.
        length (int): Columns, at least 2.
        dtype (torch.dtype): ``torch.long`` (tokenizer style) or
            ``torch.bool``. Defaults to ``torch.long``.

    Returns:
        Tensor: (batch_size, length).

    Example:
        >>> padded_mask(3, 4)
        tensor([[1, 1, 1, 1],
                [1, 1, 1, 0],
                [1, 1, 0, 0]])
    """
    valid = (length - torch.arange(batch_size)).clamp(min=2)
    return (torch.arange(length)[None] < valid[:, None]).to(dtype)


def random_images(batch_size: int,
                  size: Tuple[int, int],
                  generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Random float images in the 0-255 range, (B, 3, H, W)."""
    return torch.rand(batch_size, 3, *size, generator=generator) * 255


class ExportGraph(nn.Module):
    """Base of the graphs exported to ONNX: a wrapper of a built model whose
    ``forward`` takes and returns tensors only.

    Images enter as float (B, 3, H, W) tensors in the 0-255 range, in the
    channel order the model sees after its data preprocessor: RGB with the
    default ``ReIDDataPreprocessor(to_rgb=True)``, which converts the BGR
    images that OpenCV loads. The graph normalises them with the
    preprocessor's ``mean`` and ``std``, so a deployment feeds resized
    pixels and nothing else.

    A subclass sets ``input_names``, ``output_names``, ``input_axes`` and
    ``output_axes`` (name to ``{axis: 'batch' | 'length'}``) and implements
    ``forward`` and :meth:`example_inputs`. The batch axis is dynamic
    everywhere; the ``length`` axis (instruction tokens) up to
    :attr:`max_length`.

    Args:
        model (nn.Module): The built model, in eval mode.

    Example:
        >>> from mmreid_instruct.registry import MODELS
        >>> from mmreid_instruct.deploy import ImageReIDGraph
        >>> model = MODELS.build(dict(
        ...     type='ImageReID',
        ...     backbone=dict(type='mmpretrain.VisionTransformer',
        ...                   arch='deit-tiny', img_size=(64, 32),
        ...                   out_type='cls_token'),
        ...     head=dict(type='ReIDHead', in_channels=192,
        ...               num_classes=8))).eval()
        >>> graph = ImageReIDGraph(model)
        >>> graph.describe()  # doctest: +NORMALIZE_WHITESPACE
        {'inputs': [['images', ['batch', 3, 64, 32], 'float32']],
         'outputs': [['feature', ['batch', 192], 'float32']]}
        >>> list(graph.dynamic_shapes())
        ['images']
    """

    input_names: Tuple[str, ...] = ()
    output_names: Tuple[str, ...] = ('feature', )
    input_axes: Dict[str, Dict[int, str]] = {}
    output_axes: Dict[str, Dict[int, str]] = {'feature': {0: 'batch'}}

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        pre = getattr(model, 'data_preprocessor', None)
        mean = std = None
        if getattr(pre, '_enable_normalize', False):
            mean = pre.mean.detach().clone().view(1, -1, 1, 1)
            std = pre.std.detach().clone().view(1, -1, 1, 1)
        elif not hasattr(pre, '_enable_normalize'):
            raise TypeError(
                'ONNX export reads the normalisation from an mmengine '
                'ImgDataPreprocessor (ReIDDataPreprocessor); the model has '
                f'{type(pre).__name__}')
        self.register_buffer('mean', mean, persistent=False)
        self.register_buffer('std', std, persistent=False)

    @property
    def max_length(self) -> Optional[int]:
        """Largest value of the ``length`` axis; None without one."""
        return None

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """``(images - mean) / std``, as the data preprocessor does."""
        images = images.float()
        if self.mean is None:
            return images
        return (images - self.mean) / self.std

    def example_inputs(self,
                       batch_size: int = 2,
                       length: Optional[int] = None,
                       generator: Optional[torch.Generator] = None) -> tuple:
        """Random inputs, in the order of :attr:`input_names`.

        Args:
            batch_size (int): Batch size. Defaults to 2.
            length (int, optional): Instruction length, for the graphs
                with a ``length`` axis. Defaults to None (the subclass's
                choice).
            generator (torch.Generator, optional): Random generator.

        Returns:
            tuple[Tensor]: The inputs.
        """
        raise NotImplementedError

    def dynamic_shapes(self) -> Dict[str, Dict[int, object]]:
        """The ``dynamic_shapes`` argument of ``torch.export``: one shared
        ``Dim`` for the batch axis and one for the ``length`` axis.

        Returns:
            dict: Input name to ``{axis: torch.export.Dim}``.
        """
        dims = {'batch': torch.export.Dim('batch', min=1)}
        if self.max_length is not None:
            dims['length'] = torch.export.Dim(
                'length', min=2, max=self.max_length)
        return {
            name: {
                axis: dims[label]
                for axis, label in axes.items()
            }
            for name, axes in self.input_axes.items()
        }

    def describe(self) -> Dict[str, list]:
        """Names, shapes and dtypes of the inputs and outputs, the dynamic
        sizes named ``'batch'`` and ``'length'``.

        Returns:
            dict: ``{'inputs': [...], 'outputs': [...]}``, each item
            ``[name, shape, dtype]``.
        """
        inputs = self.example_inputs(batch_size=2)
        with torch.no_grad():
            outputs = self(*inputs)
        if isinstance(outputs, torch.Tensor):
            outputs = (outputs, )

        def specs(names, tensors, axes):
            return [[
                name,
                [
                    axes.get(name, {}).get(i, size)
                    for i, size in enumerate(tensor.shape)
                ],
                str(tensor.dtype).replace('torch.', '')
            ] for name, tensor in zip(names, tensors)]

        return dict(
            inputs=specs(self.input_names, inputs, self.input_axes),
            outputs=specs(self.output_names, outputs, self.output_axes))
