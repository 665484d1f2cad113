import functools
from contextlib import nullcontext
from typing import Any, Callable

import torch

#: Floating dtypes that mixed precision produces and :func:`fp32_forward`
#: casts up.
LOW_PRECISION = (torch.float16, torch.bfloat16)


def _up(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.dtype in LOW_PRECISION:
        return value.float()
    return value


def _device_type(args: tuple, kwargs: dict) -> str:
    for value in (*args, *kwargs.values()):
        if isinstance(value, torch.Tensor):
            return value.device.type
    return 'cpu'


def fp32_forward(fn: Callable) -> Callable:
    """Run ``fn`` in float32 under mixed precision: autocast is switched off
    inside it and its float16 / bfloat16 tensor arguments are cast to
    float32 (other arguments, float64 included, pass unchanged).

    For losses, distances and batch norms, whose sums of squares and
    exponentials overflow float16 or lose too many digits in bfloat16.
    Gradients flow back through the casts in the inputs' own dtype.

    Args:
        fn (Callable): A function or method taking tensors.

    Returns:
        Callable: The wrapped function.

    Example:
        >>> @fp32_forward
        ... def sq_norm(x):
        ...     return (x @ x.t()).diag()
        >>> x = torch.full((1, 256), 16.)
        >>> with torch.autocast('cpu', dtype=torch.bfloat16):
        ...     plain, safe = (x @ x.t()).diag(), sq_norm(x)
        >>> plain.dtype, safe.dtype, safe.item()
        (torch.bfloat16, torch.float32, 65536.0)
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        device_type = _device_type(args, kwargs)
        off = (
            torch.autocast(device_type, enabled=False)
            if torch.is_autocast_enabled(device_type) else nullcontext())
        with off:
            return fn(*map(_up, args), **{
                k: _up(v)
                for k, v in kwargs.items()
            })

    return wrapper
