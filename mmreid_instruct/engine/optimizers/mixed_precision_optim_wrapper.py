from typing import Union

import torch
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmreid_instruct.registry import OPTIM_WRAPPERS


def _accelerator_available() -> bool:
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(AmpOptimWrapper):
    """mmengine's :class:`~mmengine.optim.AmpOptimWrapper` that also runs on
    a machine without an accelerator, in bfloat16.

    With a GPU (or NPU, MLU, MUSA) it is exactly ``AmpOptimWrapper``: the
    forward pass runs under autocast in ``dtype`` and the loss is scaled by
    ``loss_scale`` (needed for float16; bfloat16 needs no scaling, give
    ``loss_scale=dict(enabled=False)``). Without one, ``AmpOptimWrapper``
    refuses to start; this wrapper runs the forward pass under CPU autocast
    in bfloat16 (the only dtype CPU autocast offers) without loss scaling,
    so that mixed-precision configs can be tried and tested on a CPU.

    Args:
        loss_scale (str | float | dict): As in ``AmpOptimWrapper``; ignored
            on CPU. Defaults to ``'dynamic'``.
        dtype (str | torch.dtype, optional): ``'float16'`` or
            ``'bfloat16'``; on CPU only ``'bfloat16'`` (or None).
            Defaults to None (float16 on a GPU, bfloat16 on CPU).
        use_fsdp (bool): As in ``AmpOptimWrapper``. Defaults to False.
        **kwargs: The arguments of :class:`~mmengine.optim.OptimWrapper`.

    Example:
        >>> model = torch.nn.Linear(4, 2)
        >>> wrapper = MixedPrecisionOptimWrapper(
        ...     optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        ...     dtype='bfloat16')
        >>> with wrapper.optim_context(model):
        ...     out = model(torch.randn(3, 4))
        >>> out.dtype
        torch.bfloat16
        >>> wrapper.update_params(out.float().pow(2).mean())
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype, None] = None,
                 use_fsdp: bool = False,
                 **kwargs):
        if _accelerator_available():
            super().__init__(
                loss_scale=loss_scale,
                dtype=dtype,
                use_fsdp=use_fsdp,
                **kwargs)
            return
        if dtype not in (None, 'bfloat16', torch.bfloat16):
            raise ValueError(
                'MixedPrecisionOptimWrapper: without a GPU the forward pass '
                'runs under CPU autocast, which only offers bfloat16; got '
                f"dtype={dtype!r}: set optim_wrapper.dtype='bfloat16'")
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', enabled=False)
        self.cast_dtype = torch.bfloat16
