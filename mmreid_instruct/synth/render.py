"""Rendering of SynthOmniReID images with numpy and OpenCV vector ops.

A person is a stack of anti-aliased shapes (polygons, ellipses, thick
lines) in body units (fractions of the person's height, ``y`` from the top
of the head to the soles), painted back to front, then seen through a
camera: illumination, blur and noise. The same shapes give the infrared
rendering, where every part is painted with the near-infrared reflectance
of its material instead of its colour.

Every function returns RGB ``uint8`` arrays; nothing here writes files.
"""
import functools
from typing import Dict, Tuple

import cv2
import numpy as np

from .cameras import Camera, Shot
from .factors import (COLOURS, HAIR_COLOURS, IR_REFLECTANCE, SKIN_TONES,
                      UPPER_GARMENTS, Garment, Identity, Outfit)

_SHIFT = 4  # sub-pixel bits of the OpenCV drawing calls
_ONE = 1 << _SHIFT
_AA = cv2.LINE_AA

#: Colour of the plain background of garment templates.
TEMPLATE_BACKGROUND = (238, 238, 238)


def _luminance(rgb) -> float:
    r, g, b = rgb
    return 0.299 * r + 0.587 * g + 0.114 * b


@functools.lru_cache(maxsize=16)
def _grid(height: int, width: int):
    yy, xx = np.indices((height, width), dtype=np.float32)
    return yy, xx


class _Painter:
    """Turns named colours and materials into paint for one modality.

    In RGB a colour gets a small per-image jitter (the same for every part
    painted with it); in infrared it becomes the grey level of the
    material's reflectance, with a slight dependence on the dye's brightness
    (so patterns stay faintly visible).
    """

    def __init__(self, modality: str, rng: np.random.Generator,
                 colour_jitter: float, height: int, width: int):
        self.ir = modality == 'ir'
        self.rng = rng
        self.colour_jitter = float(colour_jitter)
        self.yy, self.xx = _grid(height, width)
        self._cache = {}

    def paint(self, rgb, material: str) -> np.ndarray:
        key = (tuple(rgb), material)
        if key not in self._cache:
            self._cache[key] = self._paint(rgb, material)
        return self._cache[key]

    def _paint(self, rgb, material: str) -> np.ndarray:
        if self.ir:
            level = IR_REFLECTANCE[material] + 0.12 * (
                _luminance(rgb) / 255.0 - 0.5)
            return np.full(
                3, 255.0 * np.clip(level, 0.05, 1.0), dtype=np.float32)
        jitter = 1.0 + self.colour_jitter * self.rng.standard_normal(3)
        return np.clip(
            np.asarray(rgb, np.float32) * jitter.astype(np.float32), 0, 255)

    def colour(self, name: str, material: str) -> np.ndarray:
        return self.paint(COLOURS[name], material)

    def garment(self, garment: Garment, period: float, origin):
        """Paint of a garment: a colour, or an image for a pattern."""
        key = (garment, period, tuple(origin))
        if key not in self._cache:
            self._cache[key] = self._garment(garment, period, origin)
        return self._cache[key]

    def _garment(self, garment: Garment, period: float, origin):
        base = self.colour(garment.colour, garment.material)
        if garment.pattern == 'solid':
            return base
        second = self.colour(garment.pattern_colour, garment.material)
        yy = self.yy - origin[1]
        xx = self.xx - origin[0]
        period = max(float(period), 2.5)
        if garment.pattern == 'stripes':
            mask = np.floor(yy / period) % 2
        elif garment.pattern == 'checks':
            mask = (np.floor(yy / period) + np.floor(xx / period)) % 2
        else:  # dots
            cy = np.mod(yy, period) - period / 2
            cx = np.mod(xx, period) - period / 2
            mask = (cy * cy + cx * cx < (0.3 * period)**2).astype(np.float32)
        return base + mask[..., None] * (second - base)


class _Canvas:
    """A float image plus drawing in body units.

    Args:
        image (np.ndarray): HxWx3 float32 image painted in place.
        origin (tuple[float]): Pixel position of body point (0, 0).
        unit (float): Pixels per body unit (the person's height).
    """

    def __init__(self, image: np.ndarray, origin, unit: float):
        self.image = image
        self.origin = origin
        self.unit = unit
        self.height, self.width = image.shape[:2]

    def px(self, x: float, y: float) -> Tuple[float, float]:
        return (self.origin[0] + x * self.unit, self.origin[1] + y * self.unit)

    def _pt(self, x: float, y: float):
        px, py = self.px(x, y)
        return int(round(px * _ONE)), int(round(py * _ONE))

    def _empty(self) -> np.ndarray:
        return np.zeros((self.height, self.width), np.uint8)

    def poly_mask(self, points) -> np.ndarray:
        mask = self._empty()
        pts = np.array([self._pt(x, y) for x, y in points], np.int32)
        cv2.fillPoly(mask, [pts], 255, _AA, _SHIFT)
        return mask

    def ellipse_mask(self, cx: float, cy: float, ax: float,
                     ay: float) -> np.ndarray:
        mask = self._empty()
        axes = (max(int(round(ax * self.unit * _ONE)),
                    1), max(int(round(ay * self.unit * _ONE)), 1))
        cv2.ellipse(mask, self._pt(cx, cy), axes, 0, 0, 360, 255, -1, _AA,
                    _SHIFT)
        return mask

    def line_mask(self, points, width: float) -> np.ndarray:
        mask = self._empty()
        thickness = max(int(round(width * self.unit)), 1)
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
            cv2.line(mask, self._pt(x0, y0), self._pt(x1, y1), 255, thickness,
                     _AA, _SHIFT)
        return mask

    def blend(self, mask: np.ndarray, paint) -> None:
        """Paint where ``mask`` (0-255 coverage) is set."""
        x, y, w, h = cv2.boundingRect(mask)
        if w == 0 or h == 0:
            return
        window = (slice(y, y + h), slice(x, x + w))
        alpha = mask[window].astype(np.float32)[..., None] * (1.0 / 255.0)
        if np.ndim(paint) == 3:
            paint = paint[window]
        target = self.image[window]
        target += alpha * (paint - target)

    def clip_rows(self, mask: np.ndarray, y_from: float) -> np.ndarray:
        """Erase a mask below body height ``y_from``."""
        row = int(round(self.px(0, y_from)[1]))
        mask[max(row, 0):] = 0
        return mask


# --------------------------------------------------------------------------
# Backgrounds


@functools.lru_cache(maxsize=64)
def _background(camera: Camera, height: int, width: int) -> np.ndarray:
    """The scene of a camera, larger than an image (crops vary per shot)."""
    rng = np.random.default_rng(camera.bg_seed)
    h, w = int(height * 1.25), int(width * 1.5)
    a = np.asarray(camera.bg_colours[0], np.float32)
    b = np.asarray(camera.bg_colours[1], np.float32)
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    if camera.background == 'flat':
        image = np.broadcast_to(a, (h, w, 3)).copy()
    elif camera.background == 'gradient':
        image = a + ramp * (b - a)
        image = np.broadcast_to(image, (h, w, 3)).copy()
    elif camera.background == 'wall':
        horizon = int(h * rng.uniform(0.55, 0.8))
        image = np.empty((h, w, 3), np.float32)
        image[:horizon] = a
        image[horizon:] = b
        # Mortar lines of a brick wall.
        step = max(int(h * rng.uniform(0.05, 0.1)), 3)
        image[:horizon:step] *= 0.8
    else:  # texture: blobs of both colours
        blobs = rng.random((6, 4)).astype(np.float32)
        blobs = cv2.resize(blobs, (w, h), interpolation=cv2.INTER_CUBIC)
        image = a + np.clip(blobs, 0, 1)[..., None] * (b - a)
    grain = rng.standard_normal((h // 4 + 1, w // 4 + 1)).astype(np.float32)
    grain = cv2.resize(grain, (w, h), interpolation=cv2.INTER_LINEAR)
    image += 6.0 * grain[..., None]
    return np.clip(image, 0, 255)


def _crop_background(camera: Camera, height: int, width: int,
                     rng: np.random.Generator, ir: bool) -> np.ndarray:
    scene = _background(camera, height, width)
    y = int(rng.integers(scene.shape[0] - height + 1))
    x = int(rng.integers(scene.shape[1] - width + 1))
    image = scene[y:y + height, x:x + width].copy()
    if ir:
        grey = image @ np.array([0.299, 0.587, 0.114], np.float32)
        grey = 255.0 * camera.ir_level + 0.4 * (grey - grey.mean())
        image = np.repeat(grey[..., None], 3, axis=2)
    return image


# --------------------------------------------------------------------------
# The body


class _Body:
    """Body landmarks of an identity in body units for one view."""

    def __init__(self, identity: Identity, shot: Shot):
        side = shot.view == 'side'
        self.view = shot.view
        self.facing = shot.facing
        self.swing = shot.swing
        self.r = identity.head
        self.head_y = 1.05 * self.r
        self.shoulder_y = 2.0 * self.r + 0.03
        self.hip_y = 1.0 - identity.leg
        self.knee_y = self.hip_y + 0.48 * identity.leg
        self.ankle_y = 0.965
        depth = 0.6 if side else 1.0
        self.sw = identity.shoulder * depth
        self.hw = identity.hip * depth
        # Side views turn the torso slightly towards where the person walks.
        self.cx = 0.012 * self.facing if side else 0.0

    def torso(self, bottom: float, flare: float = 1.0):
        sw, hw, cx = self.sw, self.hw, self.cx
        ys = self.shoulder_y
        bw = max(hw * 1.04, sw * 0.9) * flare
        return [(cx - sw, ys + 0.012), (cx - sw * 0.9, ys),
                (cx + sw * 0.9, ys), (cx + sw, ys + 0.012), (cx + bw, bottom),
                (cx - bw, bottom)]

    def hem(self, top: float, bottom: float, flare: float):
        """A trapezoid from the waist (``top``) widening to ``bottom``."""
        hw, cx = self.hw, self.cx
        return [(cx - hw * 1.05, top), (cx + hw * 1.05, top),
                (cx + hw * flare, bottom), (cx - hw * flare, bottom)]

    def legs(self):
        """Leg polylines (two points each) and their width."""
        if self.view == 'side':
            stride = 0.07 * self.swing
            hip = (self.cx, self.hip_y)
            return [[hip, (self.cx + stride, self.ankle_y)],
                    [hip, (self.cx - stride, self.ankle_y)]], 0.075
        hw = self.hw
        return [[(-hw * 0.5, self.hip_y), (-hw * 0.45, self.ankle_y)],
                [(hw * 0.5, self.hip_y), (hw * 0.45, self.ankle_y)]], \
            max(hw * 0.95, 0.06)

    def arms(self):
        """Arm polylines (shoulder, elbow, wrist); the near arm last."""
        ys, sw = self.shoulder_y, self.sw
        reach = self.hip_y + 0.04
        elbow_y = (ys + reach) / 2
        if self.view == 'side':
            swing = 0.09 * self.swing * self.facing
            top = (self.cx, ys + 0.02)
            return [[
                top, (self.cx + swing * 0.5, elbow_y), (self.cx + swing, reach)
            ]]
        return [[(s * (sw - 0.012), ys + 0.018), (s * (sw + 0.018), elbow_y),
                 (s * (sw + 0.026), reach)] for s in (-1, 1)]


def _draw_legs(canvas: _Canvas, body: _Body, painter: _Painter,
               identity: Identity, outfit: Outfit, origin) -> None:
    skin = painter.paint(SKIN_TONES[identity.skin], 'skin')
    lines, width = body.legs()
    unit = canvas.unit
    for line in lines:
        canvas.blend(canvas.line_mask(line, width), skin)
    lower = outfit.lower
    if lower is not None:
        paint = painter.garment(lower, 0.05 * unit, origin)
        if lower.kind == 'skirt':
            flare = 1.5 if body.view != 'side' else 1.2
            mask = canvas.poly_mask(
                body.hem(body.hip_y - 0.02, body.knee_y, flare))
        else:
            mask = np.zeros_like(canvas.image[..., 0], np.uint8)
            for line in lines:
                mask = np.maximum(mask, canvas.line_mask(line, width * 1.1))
            top, bottom = body.hip_y - 0.03, body.hip_y + 0.03
            half = body.hw * 1.04
            band = canvas.poly_mask([(body.cx - half, top),
                                     (body.cx + half, top),
                                     (body.cx + half, bottom),
                                     (body.cx - half, bottom)])
            mask = np.maximum(mask, band)
            if lower.kind == 'shorts':
                canvas.clip_rows(
                    mask, body.hip_y + 0.22 * (body.ankle_y - body.hip_y))
        canvas.blend(mask, paint)
    shoes = painter.colour(outfit.shoes, 'rubber')
    for line in lines:
        x, _ = line[-1]
        dx = 0.02 * body.facing if body.view == 'side' else 0.0
        canvas.blend(canvas.ellipse_mask(x + dx, 0.985, 0.034, 0.017), shoes)


def _draw_upper(canvas: _Canvas, body: _Body, painter: _Painter,
                outfit: Outfit, origin) -> None:
    upper = outfit.upper
    paint = painter.garment(upper, 0.05 * canvas.unit, origin)
    if upper.kind == 'coat':
        mask = canvas.poly_mask(body.torso(body.knee_y + 0.02, flare=1.25))
    elif upper.kind == 'dress':
        mask = np.maximum(
            canvas.poly_mask(body.torso(body.hip_y)),
            canvas.poly_mask(
                body.hem(body.hip_y - 0.04, body.knee_y + 0.01, 1.6)))
    elif upper.kind == 'tank top':
        torso = body.torso(body.hip_y + 0.02)
        torso[0] = (body.cx - body.sw * 0.6, body.shoulder_y + 0.02)
        torso[1] = (body.cx - body.sw * 0.5, body.shoulder_y)
        torso[2] = (body.cx + body.sw * 0.5, body.shoulder_y)
        torso[3] = (body.cx + body.sw * 0.6, body.shoulder_y + 0.02)
        mask = canvas.poly_mask(torso)
    else:
        mask = canvas.poly_mask(body.torso(body.hip_y + 0.025))
    canvas.blend(mask, paint)
    _draw_upper_details(canvas, body, painter, upper)


def _draw_upper_details(canvas: _Canvas, body: _Body, painter: _Painter,
                        upper: Garment) -> None:
    """Details that tell garment kinds apart beyond their outline."""
    ys, cx = body.shoulder_y, body.cx
    bottom = body.hip_y + 0.02
    if upper.kind in ('jacket', 'coat') and body.view == 'front':
        inner = 'black' if upper.colour == 'white' else 'white'
        if upper.kind == 'coat':
            bottom = body.knee_y
        strip = [(cx - 0.012, ys + 0.01), (cx + 0.012, ys + 0.01),
                 (cx + 0.012, bottom), (cx - 0.012, bottom)]
        canvas.blend(canvas.poly_mask(strip), painter.colour(inner, 'cotton'))
    elif upper.kind == 'shirt' and body.view == 'front':
        dark = painter.colour(upper.colour, upper.material) * 0.6
        canvas.blend(
            canvas.line_mask([(cx, ys + 0.02), (cx, bottom)], 0.008), dark)
    elif upper.kind == 'sweater':
        hem = body.torso(bottom)[3:]
        rib = [
            hem[2], hem[1], (hem[1][0], bottom - 0.025),
            (hem[2][0], bottom - 0.025)
        ]
        dark = painter.colour(upper.colour, upper.material) * 0.7
        canvas.blend(canvas.poly_mask(rib), dark)


def _draw_arms(canvas: _Canvas, body: _Body, painter: _Painter,
               identity: Identity, outfit: Outfit, origin) -> None:
    skin = painter.paint(SKIN_TONES[identity.skin], 'skin')
    sleeve = UPPER_GARMENTS[outfit.upper.kind]
    sleeve_paint = painter.garment(outfit.upper, 0.05 * canvas.unit, origin)
    for arm in body.arms():
        canvas.blend(canvas.line_mask(arm, 0.042), skin)
        if sleeve == 'short':
            shoulder, elbow = arm[0], arm[1]
            end = (shoulder[0] + 0.55 * (elbow[0] - shoulder[0]),
                   shoulder[1] + 0.55 * (elbow[1] - shoulder[1]))
            canvas.blend(canvas.line_mask([shoulder, end], 0.05), sleeve_paint)
        elif sleeve == 'long':
            wrist = arm[2]
            cuff = (arm[1][0] + 0.85 * (wrist[0] - arm[1][0]),
                    arm[1][1] + 0.85 * (wrist[1] - arm[1][1]))
            canvas.blend(
                canvas.line_mask([arm[0], arm[1], cuff], 0.05), sleeve_paint)


def _draw_bag(canvas: _Canvas, body: _Body, painter: _Painter, outfit: Outfit,
              stage: str) -> None:
    """Draw the bag; ``stage`` is ``'behind'`` or ``'front'`` of the body."""
    if outfit.bag == 'none':
        return
    paint = painter.colour(outfit.bag_colour, 'canvas')
    ys, sw, cx = body.shoulder_y, body.sw, body.cx
    if outfit.bag == 'backpack':
        if body.view == 'side' and stage == 'behind':
            back = cx - body.facing * (sw + 0.05)
            box = [(back, ys + 0.02), (cx, ys + 0.02), (cx, ys + 0.24),
                   (back, ys + 0.24)]
            canvas.blend(canvas.poly_mask(box), paint)
        elif body.view == 'back' and stage == 'front':
            box = [(-0.75 * sw, ys + 0.02), (0.75 * sw, ys + 0.02),
                   (0.7 * sw, ys + 0.24), (-0.7 * sw, ys + 0.24)]
            canvas.blend(canvas.poly_mask(box), paint)
        elif body.view == 'front' and stage == 'front':
            for s in (-1, 1):
                canvas.blend(
                    canvas.line_mask([(s * 0.6 * sw, ys),
                                      (s * 0.55 * sw, ys + 0.16)], 0.016),
                    paint)
        return
    if stage != 'front':
        return
    # Shoulder bag: a strap across the chest and the bag at the hip.
    # Worn on the left: on the right of the image seen from behind.
    s = -1 if body.view == 'front' else 1
    canvas.blend(
        canvas.line_mask([(cx - s * 0.7 * sw, ys),
                          (cx + s * (body.hw + 0.02), body.hip_y - 0.03)],
                         0.012), paint)
    bx = cx + s * (body.hw + 0.03)
    box = [(bx - 0.045, body.hip_y - 0.04), (bx + 0.045, body.hip_y - 0.04),
           (bx + 0.045, body.hip_y + 0.05), (bx - 0.045, body.hip_y + 0.05)]
    canvas.blend(canvas.poly_mask(box), paint)


def _draw_head(canvas: _Canvas, body: _Body, painter: _Painter,
               identity: Identity) -> None:
    skin = painter.paint(SKIN_TONES[identity.skin], 'skin')
    r, hy, cx = body.r, body.head_y, body.cx
    neck = [(cx, hy + 0.5 * r), (cx, body.shoulder_y + 0.01)]
    canvas.blend(canvas.line_mask(neck, 0.7 * r), skin)
    canvas.blend(canvas.ellipse_mask(cx, hy, 0.82 * r, r), skin)
    if body.view == 'back':
        return
    eye = painter.paint((40, 30, 30), 'hair')
    xs = (-0.35 * r, 0.35 * r) if body.view == 'front' else \
        (0.5 * r * body.facing,)
    for x in xs:
        canvas.blend(canvas.ellipse_mask(cx + x, hy, 0.09 * r, 0.09 * r), eye)


def _draw_long_hair_behind(canvas: _Canvas, body: _Body, painter: _Painter,
                           identity: Identity) -> None:
    if identity.hair_style != 'long' or body.view != 'front':
        return
    r, hy = body.r, body.head_y
    paint = painter.paint(HAIR_COLOURS[identity.hair_colour], 'hair')
    box = [(-1.15 * r, hy), (1.15 * r, hy), (1.3 * r, body.shoulder_y + 0.09),
           (-1.3 * r, body.shoulder_y + 0.09)]
    canvas.blend(canvas.poly_mask(box), paint)


def _draw_hair(canvas: _Canvas, body: _Body, painter: _Painter,
               identity: Identity) -> None:
    style = identity.hair_style
    if style == 'bald':
        return
    r, hy, cx = body.r, body.head_y, body.cx
    if style == 'hat':
        paint = painter.colour(identity.hat_colour, 'cotton')
        cap = canvas.ellipse_mask(cx, hy - 0.1 * r, 0.9 * r, 0.95 * r)
        canvas.blend(canvas.clip_rows(cap, hy - 0.2 * r), paint)
        brim_dx = 0.55 * r * body.facing if body.view == 'side' else 0.0
        half = 0.8 * r if body.view == 'side' else 1.1 * r
        brim = [(cx + brim_dx - half, hy - 0.32 * r),
                (cx + brim_dx + half, hy - 0.32 * r),
                (cx + brim_dx + half, hy - 0.12 * r),
                (cx + brim_dx - half, hy - 0.12 * r)]
        canvas.blend(canvas.poly_mask(brim), paint)
        return
    paint = painter.paint(HAIR_COLOURS[identity.hair_colour], 'hair')
    back = -body.facing
    if body.view == 'back':
        # Seen from behind, hair covers the head.
        bottom = hy + (0.75 if style == 'short' else 0.95) * r
        cap = canvas.ellipse_mask(cx, hy - 0.05 * r, 0.88 * r, 1.05 * r)
        canvas.blend(canvas.clip_rows(cap, bottom), paint)
    else:
        cap = canvas.ellipse_mask(cx, hy - 0.12 * r, 0.9 * r, 0.98 * r)
        canvas.blend(canvas.clip_rows(cap, hy - 0.25 * r), paint)
        if body.view == 'side':
            nape = canvas.ellipse_mask(cx + back * 0.35 * r, hy, 0.6 * r,
                                       0.9 * r)
            canvas.blend(nape, paint)
    if style == 'long' and body.view != 'front':
        x0 = cx + (back * 0.3 * r if body.view == 'side' else 0.0)
        half = 0.75 * r if body.view == 'side' else 1.0 * r
        fall = [(x0 - half, hy), (x0 + half, hy),
                (x0 + half * 1.1, body.shoulder_y + 0.12),
                (x0 - half * 1.1, body.shoulder_y + 0.12)]
        canvas.blend(canvas.poly_mask(fall), paint)
    elif style == 'ponytail' and body.view != 'front':
        x0 = cx + (back * 0.9 * r if body.view == 'side' else 0.0)
        tail = [(x0, hy - 0.2 * r),
                (x0 + 0.1 * back * r, body.shoulder_y + 0.05)]
        canvas.blend(canvas.line_mask(tail, 0.45 * r), paint)
    elif style == 'bun':
        x0 = cx + (back * 0.85 * r if body.view == 'side' else 0.0)
        y0 = hy - (0.95 * r if body.view == 'front' else 0.3 * r)
        canvas.blend(canvas.ellipse_mask(x0, y0, 0.42 * r, 0.42 * r), paint)


def _draw_occluder(image: np.ndarray, shot: Shot, ir: bool) -> None:
    if shot.occluder is None:
        return
    kind, a, b, c = shot.occluder
    h, w = image.shape[:2]
    colour = np.asarray(shot.occluder_colour, np.float32)
    if ir:
        colour = np.full(3, 0.5 * _luminance(colour) + 40, np.float32)
    mask = np.zeros((h, w), np.uint8)
    if kind == 'low':
        top = int(h * (1.0 - (0.16 + 0.24 * a)))
        x0 = int(w * (b * 0.6 - 0.3))
        x1 = int(w * (0.7 + 0.6 * c))
        cv2.rectangle(mask, (x0, top), (x1, h), 255, -1)
        cv2.ellipse(mask, ((x0 + x1) // 2, top), ((x1 - x0) // 2, h // 20), 0,
                    180, 360, 255, -1, _AA)
    elif kind == 'pole':
        centre = int(w * (0.15 + 0.7 * a))
        half = max(int(w * (0.06 + 0.1 * b)), 2)
        cv2.rectangle(mask, (centre - half, 0), (centre + half, h), 255, -1)
    else:  # another passer-by at the image border
        reach = w * (0.15 + 0.2 * a)
        x = int(reach - w * 0.2) if c < 0.5 else int(w - reach + w * 0.2)
        cv2.ellipse(mask, (x, int(h * (0.12 + 0.1 * b))),
                    (int(w * 0.12), int(h * 0.07)), 0, 0, 360, 255, -1, _AA)
        cv2.ellipse(mask, (x, int(h * (0.62 + 0.1 * b))),
                    (int(w * 0.24), int(h * 0.42)), 0, 0, 360, 255, -1, _AA)
    alpha = mask.astype(np.float32)[..., None] * (1.0 / 255.0)
    image += alpha * (colour - image)


def _apply_camera(image: np.ndarray, camera: Camera, shot: Shot,
                  rng: np.random.Generator, ir: bool) -> np.ndarray:
    """Illumination, optics and sensor noise; returns uint8."""
    h = image.shape[0]
    if ir:
        mean = float(image.mean())
        image = mean + camera.ir_contrast * (image - mean)
        image *= shot.gain
        sigma = (camera.blur + 0.5) * h / 128.0
        noise = 1.5 * camera.noise
    else:
        gain = camera.gain * shot.gain
        image *= np.asarray(camera.cast, np.float32) * gain
        sigma = camera.blur * h / 128.0
        noise = camera.noise
    if sigma > 0.2:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    if noise > 0:
        image += noise * rng.standard_normal(image.shape, np.float32)
    if ir:
        grey = image.mean(axis=2, keepdims=True)
        image = np.repeat(grey, 3, axis=2)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


def render_person(
    identity: Identity,
    outfit: Outfit,
    camera: Camera,
    shot: Shot,
    rng: np.random.Generator,
    size: Tuple[int, int],
    modality: str = 'rgb',
    colour_jitter: float = 0.0
) -> Tuple[np.ndarray, Dict[str, Tuple[int, int, int, int]]]:
    """Render one image of a person.

    Args:
        identity (Identity): Who is seen.
        outfit (Outfit): What they wear.
        camera (Camera): The camera.
        shot (Shot): Viewpoint, placement, pose and occlusion.
        rng (numpy.random.Generator): Random source of this image
            (background crop, colour jitter, noise).
        size (tuple[int]): ``(height, width)`` of the image.
        modality (str): ``'rgb'`` or ``'ir'``. Defaults to ``'rgb'``.
        colour_jitter (float): Relative per-image change of garment
            colours (RGB only). Defaults to 0.

    Returns:
        tuple: The RGB ``uint8`` image (grey in all channels for ``'ir'``)
        and a dict with ``clothes_box`` = ``(x0, y0, x1, y1)``, the pixel
        box of the upper body.

    Example:
        >>> from .cameras import sample_camera, sample_shot
        >>> from .factors import sample_identity, sample_outfit
        >>> rng = np.random.default_rng(0)
        >>> cam = sample_camera(rng, 0, 0.5, 2.0)
        >>> image, info = render_person(
        ...     sample_identity(rng, 0), sample_outfit(rng, 0), cam,
        ...     sample_shot(rng, cam, 0.1, 0.5), rng, (128, 64))
        >>> image.shape
        (128, 64, 3)
    """
    if modality not in ('rgb', 'ir'):
        raise ValueError(f"modality must be 'rgb' or 'ir', got "
                         f'{modality!r}.')
    h, w = int(size[0]), int(size[1])
    ir = modality == 'ir'
    image = _crop_background(camera, h, w, rng, ir)
    unit = shot.scale * identity.height * h
    origin = (w * (0.5 + shot.dx), h * (0.5 + shot.dy) - 0.5 * unit)
    canvas = _Canvas(image, origin, unit)
    painter = _Painter(modality, rng, colour_jitter, h, w)
    body = _Body(identity, shot)

    _draw_long_hair_behind(canvas, body, painter, identity)
    _draw_bag(canvas, body, painter, outfit, 'behind')
    _draw_legs(canvas, body, painter, identity, outfit, origin)
    _draw_upper(canvas, body, painter, outfit, origin)
    _draw_bag(canvas, body, painter, outfit, 'front')
    _draw_arms(canvas, body, painter, identity, outfit, origin)
    _draw_head(canvas, body, painter, identity)
    _draw_hair(canvas, body, painter, identity)
    _draw_occluder(canvas.image, shot, ir)
    result = _apply_camera(canvas.image, camera, shot, rng, ir)

    x0, y0 = canvas.px(body.cx - body.sw - 0.05, body.shoulder_y - 0.02)
    x1, y1 = canvas.px(body.cx + body.sw + 0.05, body.hip_y + 0.06)
    box = (int(np.clip(x0, 0, w - 2)), int(np.clip(y0, 0, h - 2)),
           int(np.clip(np.ceil(x1), 2, w)), int(np.clip(np.ceil(y1), 2, h)))
    box = (box[0], box[1], max(box[2], box[0] + 2), max(box[3], box[1] + 2))
    return result, dict(clothes_box=box)


def crop_clothes(image: np.ndarray, box: Tuple[int, int, int, int],
                 size: Tuple[int, int]) -> np.ndarray:
    """Cut the upper-body box out of an image and resize it.

    Args:
        image (np.ndarray): HxWx3 image.
        box (tuple[int]): ``(x0, y0, x1, y1)`` from :func:`render_person`.
        size (tuple[int]): ``(height, width)`` of the crop.

    Returns:
        np.ndarray: The resized crop.
    """
    x0, y0, x1, y1 = box
    crop = image[y0:y1, x0:x1]
    return cv2.resize(
        crop, (int(size[1]), int(size[0])), interpolation=cv2.INTER_LINEAR)


# --------------------------------------------------------------------------
# Garment templates


def _template_upper(canvas: _Canvas, painter: _Painter, upper: Garment,
                    bottom: float) -> None:
    paint = painter.garment(upper, 0.07 * canvas.unit, canvas.origin)
    top = 0.06
    if upper.kind == 'dress':
        body = [(-0.14, top), (0.14, top), (0.16, 0.42), (0.3, bottom),
                (-0.3, bottom), (-0.16, 0.42)]
    elif upper.kind == 'tank top':
        body = [(-0.1, top), (0.1, top), (0.17, 0.18), (0.17, bottom),
                (-0.17, bottom), (-0.17, 0.18)]
    else:
        flare = 0.22 if upper.kind == 'coat' else 0.18
        body = [(-0.18, top), (0.18, top), (flare, bottom), (-flare, bottom)]
    canvas.blend(canvas.poly_mask(body), paint)
    sleeve = UPPER_GARMENTS[upper.kind]
    if sleeve == 'none':
        return
    length = 0.14 if sleeve == 'short' else 0.38
    for s in (-1, 1):
        arm = [(s * 0.16, top + 0.005), (s * 0.2, top),
               (s * (0.2 + 0.35 * length), top + length),
               (s * (0.2 + 0.35 * length - 0.11), top + length + 0.04)]
        canvas.blend(canvas.poly_mask(arm), paint)
    if upper.kind in ('jacket', 'coat'):
        inner = 'black' if upper.colour == 'white' else 'white'
        strip = [(-0.015, top), (0.015, top), (0.015, bottom),
                 (-0.015, bottom)]
        canvas.blend(canvas.poly_mask(strip), painter.colour(inner, 'cotton'))


def _template_lower(canvas: _Canvas, painter: _Painter, lower: Garment,
                    top: float) -> None:
    paint = painter.garment(lower, 0.07 * canvas.unit, canvas.origin)
    if lower.kind == 'skirt':
        shape = [(-0.14, top), (0.14, top), (0.24, 0.86), (-0.24, 0.86)]
        canvas.blend(canvas.poly_mask(shape), paint)
        return
    bottom = top + 0.2 if lower.kind == 'shorts' else 0.96
    for s in (-1, 1):
        leg = [(0.0, top), (s * 0.17, top), (s * 0.17, bottom),
               (s * 0.02, bottom)]
        canvas.blend(canvas.poly_mask(leg), paint)
    waist = [(-0.17, top), (0.17, top), (0.17, top + 0.04),
             (-0.17, top + 0.04)]
    canvas.blend(canvas.poly_mask(waist), paint)


def render_template(outfit: Outfit, size: Tuple[int, int]) -> np.ndarray:
    """Render the garment template of an outfit.

    A clean, flat drawing of the garments (upper garment or dress, lower
    garment, shoes, bag) on a plain background, the kind of image a
    clothes-template instruction shows.

    Args:
        outfit (Outfit): The outfit.
        size (tuple[int]): ``(height, width)`` of the image.

    Returns:
        np.ndarray: RGB ``uint8`` image.

    Example:
        >>> from .factors import sample_outfit
        >>> render_template(sample_outfit(np.random.default_rng(0), 0),
        ...                 (64, 64)).shape
        (64, 64, 3)
    """
    h, w = int(size[0]), int(size[1])
    image = np.empty((h, w, 3), np.float32)
    image[:] = TEMPLATE_BACKGROUND
    # Body units are the image height; x = 0 is the centre.
    canvas = _Canvas(image, (w / 2.0, 0.0), float(h))
    painter = _Painter('rgb', np.random.default_rng(0), 0.0, h, w)
    if outfit.lower is None:
        _template_upper(canvas, painter, outfit.upper, 0.9)
    else:
        coat = outfit.upper.kind == 'coat'
        _template_upper(canvas, painter, outfit.upper, 0.6 if coat else 0.5)
        _template_lower(canvas, painter, outfit.lower, 0.62 if coat else 0.54)
    shoes = painter.colour(outfit.shoes, 'rubber')
    for s in (-1, 1):
        canvas.blend(canvas.ellipse_mask(s * 0.36, 0.93, 0.07, 0.035), shoes)
    if outfit.bag != 'none':
        bag = painter.colour(outfit.bag_colour, 'canvas')
        canvas.blend(
            canvas.poly_mask([(0.3, 0.3), (0.44, 0.3), (0.44, 0.5),
                              (0.3, 0.5)]), bag)
        canvas.blend(
            canvas.line_mask([(0.32, 0.3), (0.37, 0.22), (0.42, 0.3)], 0.015),
            bag)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)
