"""RandomSolidErasing: the official Instruct-ReID random erasing."""
import math
import random

import numpy as np
import pytest

from mmreid_instruct.datasets.transforms import RandomSolidErasing
from mmreid_instruct.registry import TRANSFORMS


def reference_erase(rgb):
    """The official rule written out pixel by pixel on an RGB image."""
    out = rgb.copy()
    if random.uniform(-1, 1) > 0.8:
        return out
    h, w = rgb.shape[:2]
    while True:
        area = random.uniform(0.02, 0.2) * h * w
        ratio = random.uniform(0.3, 1 / 0.3)
        bh, bw = math.sqrt(area * ratio), math.sqrt(area / ratio)
        x, y = random.uniform(0, w - bw), random.uniform(0, h - bh)
        if x + bw <= w and y + bh <= h and x > 0 and y > 0:
            break
    left, top = math.ceil(x), math.ceil(y)
    right, bottom = math.floor(left + bw), math.floor(top + bh)
    color = [random.randint(0, 255) for _ in range(3)]
    for row in range(top, bottom):
        for col in range(left, right):
            out[row, col] = color
    return out


def rgb_image(seed, shape=(64, 32, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, np.uint8)


@pytest.mark.parametrize('shape', [(64, 32, 3), (40, 40, 3), (17, 53, 3)])
def test_same_draws_as_the_literal_reference(shape):
    for seed in range(60):
        rgb = rgb_image(seed, shape)
        random.seed(seed)
        expected = reference_erase(rgb)
        random.seed(seed)
        bgr = RandomSolidErasing()(dict(img=rgb[..., ::-1].copy()))['img']
        assert np.array_equal(bgr[..., ::-1], expected), seed
        # The RGB order writes the colour as drawn.
        random.seed(seed)
        out = RandomSolidErasing(channel_order='rgb')(dict(img=rgb))['img']
        assert np.array_equal(out, expected), seed


def test_rate_area_and_shape_of_the_boxes():
    transform = TRANSFORMS.build(dict(type='RandomSolidErasing'))
    img = np.zeros((256, 128, 3), np.uint8)
    random.seed(1)
    erased, fractions, ratios = 0, [], []
    for _ in range(2000):
        out = transform(dict(img=img))['img']
        changed = (out != 0).any(axis=2)
        if not changed.any():
            colors = np.unique(out.reshape(-1, 3), axis=0)
            assert len(colors) == 1  # nothing painted, or painted black
            continue
        erased += 1
        rows = np.flatnonzero(changed.any(1))
        cols = np.flatnonzero(changed.any(0))
        assert changed.sum() == len(rows) * len(cols)  # one rectangle
        assert rows[0] >= 1 and cols[0] >= 1  # strictly inside top/left
        fractions.append(changed.sum() / changed.size)
        ratios.append(len(rows) / len(cols))
    assert abs(erased / 2000 - 0.9) < 0.025  # 0.9 within ~4 sigma
    assert max(fractions) <= 0.2 and min(fractions) >= 0.01
    assert 0.25 < min(ratios) and max(ratios) < 1 / 0.25


def test_prob_zero_and_one():
    img = rgb_image(0)
    random.seed(0)
    for _ in range(50):
        never = RandomSolidErasing(prob=0)(dict(img=img))['img']
        assert np.array_equal(never, img)
        always = RandomSolidErasing(prob=1)(dict(img=img))['img']
        assert not np.array_equal(always, img)


def test_gives_up_after_max_attempts():
    # No box of at least 2 % of a 1x400 image fits in one column.
    img = rgb_image(0, (400, 1, 3))
    random.seed(0)
    out = RandomSolidErasing(prob=1, max_attempts=20)(dict(img=img))['img']
    assert np.array_equal(out, img)


@pytest.mark.parametrize('kwargs,match', [
    (dict(prob=1.5), 'prob'),
    (dict(area_range=(0.3, 0.2)), 'area_range'),
    (dict(aspect_ratio=0), 'aspect_ratio'),
    (dict(max_attempts=0), 'max_attempts'),
    (dict(channel_order='hsv'), 'channel_order'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomSolidErasing(**kwargs)


def test_needs_a_colour_image():
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        RandomSolidErasing()(dict(img=np.zeros((4, 4), np.uint8)))
