"""Cameras of SynthOmniReID and the per-image shot drawn from a camera.

A :class:`Camera` fixes what all its images share (scene background,
illumination, typical viewpoint and distance, optics); a :class:`Shot` is
what varies from one image to the next (viewpoint, placement, pose,
occlusion). ``nuisance`` (0-1) scales how much cameras differ from each
other; ``occlusion_prob`` and ``pose_jitter`` act per shot.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

#: Viewpoints of a person relative to the camera.
VIEWS = ('front', 'back', 'side')

#: Background kinds of a scene.
BACKGROUNDS = ('flat', 'gradient', 'wall', 'texture')

#: Occluder kinds: an object in the lower part of the image (a bench, a
#: car), a vertical pole, or another passer-by at the image border.
OCCLUDERS = ('low', 'pole', 'person')


@dataclass(frozen=True)
class Camera:
    """What every image of one camera shares.

    Args:
        cam_id (int): 0-based camera id.
        background (str): One of :data:`BACKGROUNDS`.
        bg_colours (tuple): Two RGB colours of the background.
        bg_seed (int): Seed of the background texture.
        gain (float): Brightness gain.
        cast (tuple[float]): Per-channel (RGB) colour gain.
        blur (float): Gaussian blur sigma in pixels at 128 px height.
        noise (float): Pixel noise standard deviation (0-255 scale).
        scale (float): Typical person height as a fraction of the image.
        view_probs (tuple[float]): Probabilities of :data:`VIEWS`.
        ir_level (float): Background grey level of the infrared rendering.
        ir_contrast (float): Contrast of the infrared rendering (< 1).
    """
    cam_id: int
    background: str
    bg_colours: Tuple[Tuple[int, int, int], Tuple[int, int, int]]
    bg_seed: int
    gain: float
    cast: Tuple[float, float, float]
    blur: float
    noise: float
    scale: float
    view_probs: Tuple[float, float, float]
    ir_level: float
    ir_contrast: float


@dataclass(frozen=True)
class Shot:
    """What varies between two images of one person by one camera.

    Args:
        view (str): One of :data:`VIEWS`.
        facing (int): +1 or -1, the direction a side view faces.
        scale (float): Person height as a fraction of the image height.
        dx (float): Horizontal offset as a fraction of the image width.
        dy (float): Vertical offset as a fraction of the image height.
        swing (float): Arm and leg swing of the walking pose (-1..1).
        gain (float): Brightness change of this image.
        occluder (tuple, optional): ``(kind, a, b, c)``: one of
            :data:`OCCLUDERS` and three numbers in [0, 1] placing it.
        occluder_colour (tuple): RGB colour of the occluder.
    """
    view: str
    facing: int
    scale: float
    dx: float
    dy: float
    swing: float
    gain: float
    occluder: Optional[Tuple[str, float, float, float]]
    occluder_colour: Tuple[int, int, int]


def _colour(rng: np.random.Generator, low: int, high: int):
    return tuple(int(v) for v in rng.integers(low, high, size=3))


def sample_camera(rng: np.random.Generator, cam_id: int, nuisance: float,
                  noise_std: float) -> Camera:
    """Draw a camera.

    Args:
        rng (numpy.random.Generator): Random source.
        cam_id (int): 0-based camera id.
        nuisance (float): 0-1, how much cameras differ in illumination,
            colour cast, blur, background clutter and preferred viewpoint.
        noise_std (float): Mean pixel noise standard deviation (0-255).

    Returns:
        Camera: The camera.

    Example:
        >>> cam = sample_camera(np.random.default_rng(0), 0, 0.5, 3.0)
        >>> cam.cam_id
        0
    """
    nuisance = float(nuisance)
    main = rng.dirichlet((1.0, 1.0, 1.0))
    # With no nuisance every camera sees every viewpoint equally often;
    # with more, each camera has a favourite one.
    view_probs = (1 - 0.8 * nuisance) / 3 + 0.8 * nuisance * main
    background = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    return Camera(
        cam_id=int(cam_id),
        background=background,
        bg_colours=(_colour(rng, 40, 220), _colour(rng, 40, 220)),
        bg_seed=int(rng.integers(2**31)),
        gain=round(1.0 + nuisance * float(rng.uniform(-0.4, 0.3)), 4),
        cast=tuple(
            round(1.0 + nuisance * float(v), 4)
            for v in rng.uniform(-0.2, 0.2, size=3)),
        blur=round(nuisance * float(rng.uniform(0.0, 1.3)), 4),
        noise=round(float(noise_std) * float(rng.uniform(0.5, 1.5)), 4),
        scale=round(float(rng.uniform(0.8, 0.93)), 4),
        view_probs=tuple(round(float(p), 6) for p in view_probs),
        ir_level=round(float(rng.uniform(0.25, 0.55)), 4),
        ir_contrast=round(float(rng.uniform(0.55, 0.75)), 4))


def sample_shot(rng: np.random.Generator, camera: Camera,
                occlusion_prob: float, pose_jitter: float) -> Shot:
    """Draw the per-image variation of one image of ``camera``.

    Args:
        rng (numpy.random.Generator): Random source of this image.
        camera (Camera): The camera taking the image.
        occlusion_prob (float): Probability that an object covers part of
            the person.
        pose_jitter (float): 0-1, spread of scale, position and pose.

    Returns:
        Shot: The shot.
    """
    probs = np.asarray(camera.view_probs, dtype=np.float64)
    view = VIEWS[int(rng.choice(len(VIEWS), p=probs / probs.sum()))]
    facing = 1 if rng.random() < 0.5 else -1
    jitter = float(pose_jitter)
    scale = camera.scale * (1.0 + jitter * float(rng.uniform(-0.1, 0.06)))
    dx = jitter * float(rng.uniform(-0.12, 0.12))
    dy = jitter * float(rng.uniform(-0.04, 0.04))
    swing = float(rng.uniform(-1.0, 1.0))
    gain = 1.0 + jitter * float(rng.uniform(-0.12, 0.12))
    occluder = None
    if rng.random() < occlusion_prob:
        kind = OCCLUDERS[int(rng.integers(len(OCCLUDERS)))]
        a, b, c = (float(v) for v in rng.random(3))
        occluder = (kind, a, b, c)
    return Shot(
        view=view,
        facing=facing,
        scale=scale,
        dx=dx,
        dy=dy,
        swing=swing,
        gain=gain,
        occluder=occluder,
        occluder_colour=_colour(rng, 20, 235))
