# mmpretrain's (and through it mmcv's) transforms are reachable from our
# registry only once they are registered.
import mmpretrain.datasets.transforms  # noqa: F401

from .formatting import PackReIDInputs, image_to_tensor
from .loading import LoadReIDImage
from .random_solid_erasing import RandomSolidErasing

__all__ = [
    'LoadReIDImage', 'PackReIDInputs', 'RandomSolidErasing', 'image_to_tensor'
]
