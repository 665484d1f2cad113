# mmpretrain's (and through it mmcv's) transforms are reachable from our
# registry only once they are registered.
import mmpretrain.datasets.transforms  # noqa: F401

from .formatting import PackReIDInputs, image_to_tensor
from .loading import LoadReIDImage

__all__ = ['LoadReIDImage', 'PackReIDInputs', 'image_to_tensor']
