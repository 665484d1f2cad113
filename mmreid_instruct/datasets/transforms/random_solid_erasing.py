import math
import random
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmreid_instruct.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomSolidErasing(BaseTransform):
    """Paint one random box of the image in one solid random colour, as the
    official Instruct-ReID training pipeline does.

    It runs on the uint8 image, before normalisation (the official code
    erases the PIL image after the random crop, before ``ToTensor``). With
    probability ``prob`` a box is drawn: its area is a fraction
    ``U(*area_range)`` of the image, its height/width ratio
    ``U(aspect_ratio, 1 / aspect_ratio)``, its corner uniform over the
    places where it fits (strictly inside the top and left edges); boxes
    that do not fit are redrawn, at most ``max_attempts`` times. The box
    then covers rows ``ceil(y) .. ceil(y) + floor(h)`` and the columns
    likewise, and gets one colour with each channel ``randint(0, 255)``.

    The draws are those of the official code, in its order, from Python's
    ``random`` module (which the datasets seed per sample): the same seed
    erases the same box with the same colour. The colour is drawn as
    (R, G, B) and written in the image's channel order (``'bgr'`` for
    images loaded by OpenCV, as :class:`LoadReIDImage` loads them).

    Required keys: ``img``. Modified keys: ``img``.

    Args:
        prob (float): Probability of erasing. Defaults to 0.9 (the official
            code draws ``U(-1, 1)`` and erases when it is at most 0.8).
        area_range (tuple[float, float]): Range of the box area as a
            fraction of the image area. Defaults to (0.02, 0.2).
        aspect_ratio (float): Smallest height/width ratio of the box; the
            largest is its inverse. Defaults to 0.3.
        max_attempts (int, optional): Box draws before giving up (the
            image is then left as it is); None retries until a box fits,
            as the official code does, which never ends for an image no box
            can fit. Defaults to 100.
        channel_order (str): ``'bgr'`` or ``'rgb'``, the order of the
            image's channels. Defaults to ``'bgr'``.

    Example:
        >>> import random
        >>> random.seed(0)
        >>> img = np.zeros((256, 128, 3), np.uint8)
        >>> out = RandomSolidErasing(prob=1.0)(dict(img=img))['img']
        >>> changed = (out != 0).any(axis=2)
        >>> rows, cols = np.flatnonzero(changed.any(1)), np.flatnonzero(
        ...     changed.any(0))
        >>> int(changed.sum()) == len(rows) * len(cols)  # one solid box
        True
        >>> len(np.unique(out[changed], axis=0))  # of one colour
        1
    """

    def __init__(self,
                 prob: float = 0.9,
                 area_range: Tuple[float, float] = (0.02, 0.2),
                 aspect_ratio: float = 0.3,
                 max_attempts: Optional[int] = 100,
                 channel_order: str = 'bgr') -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob!r}')
        low, high = area_range
        if not 0 < low <= high <= 1:
            raise ValueError('area_range must be (low, high) with 0 < low '
                             f'<= high <= 1, got {area_range!r}')
        if not 0 < aspect_ratio <= 1:
            raise ValueError(
                f'aspect_ratio must be in (0, 1], got {aspect_ratio!r}')
        if max_attempts is not None and (not isinstance(max_attempts, int)
                                         or max_attempts < 1):
            raise ValueError('max_attempts must be None or an int >= 1, '
                             f'got {max_attempts!r}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError("channel_order must be 'bgr' or 'rgb', got "
                             f'{channel_order!r}')
        self.prob = prob
        self.area_range = (float(low), float(high))
        self.aspect_ratio = float(aspect_ratio)
        self.max_attempts = max_attempts
        self.channel_order = channel_order

    def _attempts(self):
        attempt = 0
        while self.max_attempts is None or attempt < self.max_attempts:
            yield attempt
            attempt += 1

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError('RandomSolidErasing needs an (H, W, 3) image, '
                             f'got shape {img.shape}')
        if self.prob == 0 or random.uniform(-1, 1) > 2 * self.prob - 1:
            return results
        height, width = img.shape[:2]
        area = height * width
        for _ in self._attempts():
            target = random.uniform(*self.area_range) * area
            ratio = random.uniform(self.aspect_ratio, 1 / self.aspect_ratio)
            box_h, box_w = math.sqrt(target * ratio), math.sqrt(target / ratio)
            x = random.uniform(0, width - box_w)
            y = random.uniform(0, height - box_h)
            if 0 < x and x + box_w <= width and 0 < y and \
                    y + box_h <= height:
                x1, y1 = math.ceil(x), math.ceil(y)
                x2, y2 = math.floor(x1 + box_w), math.floor(y1 + box_h)
                color = [random.randint(0, 255) for _ in range(3)]
                if self.channel_order == 'bgr':
                    color = color[::-1]
                img = np.array(img, copy=True)
                img[y1:y2, x1:x2] = np.asarray(color, dtype=img.dtype)
                results['img'] = img
                return results
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, '
                f'area_range={self.area_range}, '
                f'aspect_ratio={self.aspect_ratio}, '
                f'max_attempts={self.max_attempts}, '
                f'channel_order={self.channel_order!r})')
