from typing import Sequence, Union

import torch


def backbone_tokens(output: Union[torch.Tensor, Sequence[torch.Tensor]],
                    owner: str) -> torch.Tensor:
    """The token map (B, 1 + N, C), CLS first, from a backbone's output.

    Args:
        output (Tensor | Sequence[Tensor]): What the backbone returned; of a
            tuple or list (one item per output stage) the last item is used.
        owner (str): The module whose backbone it is, named in the error.

    Returns:
        Tensor: The (B, 1 + N, C) tokens.

    Raises:
        ValueError: The output is not a 3-D token map.

    Example:
        >>> stages = (torch.randn(2, 5, 8), torch.randn(2, 5, 8))
        >>> backbone_tokens(stages, 'InstructReID') is stages[-1]
        True
    """
    tokens = output[-1] if isinstance(output, (tuple, list)) else output
    if tokens.dim() != 3:
        raise ValueError(
            f'the backbone of {owner} must return tokens (B, 1 + N, C), got '
            f"shape {tuple(tokens.shape)}; for mmpretrain's "
            "VisionTransformer set out_type='raw' and with_cls_token=True")
    return tokens
