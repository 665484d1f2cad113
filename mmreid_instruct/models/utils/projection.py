import torch.nn as nn


def width_projection(in_dims: int, out_dims: int) -> nn.Module:
    """A linear layer from ``in_dims`` to ``out_dims`` wide tokens, or the
    identity when the widths already agree.

    Args:
        in_dims (int): Input width.
        out_dims (int): Output width.

    Returns:
        nn.Module: ``nn.Identity()`` or ``nn.Linear(in_dims, out_dims)``.

    Example:
        >>> width_projection(384, 192)
        Linear(in_features=384, out_features=192, bias=True)
        >>> width_projection(192, 192)
        Identity()
    """
    if in_dims == out_dims:
        return nn.Identity()
    return nn.Linear(in_dims, out_dims)
