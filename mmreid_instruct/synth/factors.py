"""Appearance factors of SynthOmniReID: who a person is and what they wear.

An :class:`Identity` holds what stays with a person whatever the clothes
(body proportions, skin tone, hair); an :class:`Outfit` is one clothes id
(upper and lower garments, shoes, bag). Both are plain frozen dataclasses
drawn from named vocabularies, so that renderings and captions describe the
same facts.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

#: Named garment colours (RGB, 0-255).
COLOURS = {
    'black': (28, 28, 32),
    'white': (236, 236, 230),
    'grey': (128, 128, 132),
    'red': (196, 34, 40),
    'orange': (232, 126, 36),
    'yellow': (234, 206, 52),
    'green': (44, 138, 62),
    'teal': (28, 128, 128),
    'blue': (40, 80, 196),
    'navy': (26, 36, 92),
    'purple': (112, 52, 148),
    'pink': (234, 142, 176),
    'brown': (112, 72, 42),
    'beige': (214, 194, 158),
}

#: Colours jeans come in.
DENIM_COLOURS = ('blue', 'navy', 'black', 'grey')

#: Named skin tones (RGB).
SKIN_TONES = {
    'pale': (246, 220, 200),
    'fair': (232, 192, 160),
    'olive': (198, 160, 116),
    'tan': (176, 128, 88),
    'brown': (132, 88, 56),
    'dark': (84, 56, 38),
}

#: Named hair colours (RGB).
HAIR_COLOURS = {
    'black': (22, 20, 20),
    'dark brown': (58, 38, 26),
    'brown': (104, 68, 38),
    'blonde': (222, 188, 110),
    'red': (168, 70, 36),
    'grey': (150, 150, 150),
    'white': (228, 228, 224),
}

#: Hair styles; ``hat`` hides the hair under a hat of a named colour.
HAIR_STYLES = ('short', 'long', 'ponytail', 'bun', 'bald', 'hat')

#: Upper-body garments and their sleeve length (``none``/``short``/
#: ``long``). A dress also covers the legs down to the knees, so an outfit
#: with a dress has no lower garment.
UPPER_GARMENTS = {
    't-shirt': 'short',
    'shirt': 'long',
    'sweater': 'long',
    'jacket': 'long',
    'coat': 'long',
    'tank top': 'none',
    'dress': 'short',
}

#: Lower-body garments.
LOWER_GARMENTS = ('trousers', 'jeans', 'shorts', 'skirt')

#: Fabric patterns. The second colour of a pattern is its ``pattern_colour``.
PATTERNS = ('solid', 'stripes', 'checks', 'dots')

#: Materials each garment may be made of (the first is the most common).
MATERIALS = {
    't-shirt': ('cotton', 'polyester'),
    'shirt': ('cotton', 'linen', 'silk'),
    'sweater': ('wool', 'cotton'),
    'jacket': ('leather', 'nylon', 'denim'),
    'coat': ('wool', 'nylon'),
    'tank top': ('cotton', 'polyester'),
    'dress': ('cotton', 'silk', 'polyester'),
    'trousers': ('cotton', 'wool', 'polyester'),
    'jeans': ('denim', ),
    'shorts': ('cotton', 'denim'),
    'skirt': ('cotton', 'polyester', 'denim'),
}

#: Near-infrared reflectance of each material (0-1): what an infrared
#: camera sees instead of the colour. Skin reflects strongly.
IR_REFLECTANCE = {
    'cotton': 0.74,
    'linen': 0.70,
    'silk': 0.80,
    'polyester': 0.52,
    'wool': 0.60,
    'nylon': 0.38,
    'leather': 0.24,
    'denim': 0.46,
    'skin': 0.88,
    'hair': 0.30,
    'rubber': 0.20,
    'canvas': 0.56,
}

#: Shoe colours.
SHOE_COLOURS = ('black', 'white', 'brown', 'grey', 'red', 'blue')

#: Bags; ``none`` means no bag.
BAGS = ('none', 'none', 'backpack', 'shoulder bag')


@dataclass(frozen=True)
class Identity:
    """What a person looks like whatever they wear.

    Lengths are fractions of the person's height.

    Args:
        pid (int): Global identity id.
        height (float): Relative stature (0.86-1.0), scales the rendering.
        shoulder (float): Half shoulder width.
        hip (float): Half hip width.
        head (float): Head radius.
        leg (float): Leg length (hip to sole).
        skin (str): Key of :data:`SKIN_TONES`.
        hair_colour (str): Key of :data:`HAIR_COLOURS`.
        hair_style (str): One of :data:`HAIR_STYLES`.
        hat_colour (str, optional): Key of :data:`COLOURS` when
            ``hair_style == 'hat'``.
    """
    pid: int
    height: float
    shoulder: float
    hip: float
    head: float
    leg: float
    skin: str
    hair_colour: str
    hair_style: str
    hat_colour: Optional[str] = None


@dataclass(frozen=True)
class Garment:
    """One garment of an outfit.

    Args:
        kind (str): Key of :data:`UPPER_GARMENTS` or one of
            :data:`LOWER_GARMENTS`.
        colour (str): Key of :data:`COLOURS`.
        pattern (str): One of :data:`PATTERNS`.
        pattern_colour (str): Second colour of the pattern (equal to
            ``colour`` for ``solid``).
        material (str): Key of :data:`IR_REFLECTANCE`.
    """
    kind: str
    colour: str
    pattern: str
    pattern_colour: str
    material: str


@dataclass(frozen=True)
class Outfit:
    """A clothes id: everything a person wears.

    Args:
        cid (int): Global clothes id.
        upper (Garment): Upper-body garment (maybe a dress).
        lower (Garment, optional): Lower-body garment, None with a dress.
        shoes (str): Key of :data:`COLOURS`.
        bag (str): One of :data:`BAGS`.
        bag_colour (str): Key of :data:`COLOURS` (unused without a bag).
    """
    cid: int
    upper: Garment
    lower: Optional[Garment]
    shoes: str
    bag: str
    bag_colour: str


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def sample_identity(rng: np.random.Generator, pid: int) -> Identity:
    """Draw a random person.

    Args:
        rng (numpy.random.Generator): Random source.
        pid (int): The identity id to give the person.

    Returns:
        Identity: The person, whose body proportions, skin tone and hair
        (or hat) are drawn from the vocabularies of this module.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> people = [sample_identity(rng, pid) for pid in range(3)]
        >>> [person.pid for person in people]
        [0, 1, 2]
    """
    hair_style = _pick(rng, HAIR_STYLES)
    hat_colour = _pick(rng, sorted(COLOURS)) if hair_style == 'hat' else None
    return Identity(
        pid=int(pid),
        height=round(float(rng.uniform(0.86, 1.0)), 4),
        shoulder=round(float(rng.uniform(0.095, 0.15)), 4),
        hip=round(float(rng.uniform(0.075, 0.115)), 4),
        head=round(float(rng.uniform(0.054, 0.074)), 4),
        leg=round(float(rng.uniform(0.43, 0.53)), 4),
        skin=_pick(rng, sorted(SKIN_TONES)),
        hair_colour=_pick(rng, sorted(HAIR_COLOURS)),
        hair_style=hair_style,
        hat_colour=hat_colour)


def _sample_garment(rng: np.random.Generator, kind: str) -> Garment:
    colours = DENIM_COLOURS if kind == 'jeans' else sorted(COLOURS)
    colour = _pick(rng, colours)
    # Most clothes are plain; patterns make a garment easier to recognise.
    pattern = _pick(rng, PATTERNS) if rng.random() < 0.45 else 'solid'
    pattern_colour = colour
    if pattern != 'solid':
        pattern_colour = _pick(rng,
                               [c for c in sorted(COLOURS) if c != colour])
    return Garment(
        kind=kind,
        colour=colour,
        pattern=pattern,
        pattern_colour=pattern_colour,
        material=_pick(rng, MATERIALS[kind]))


def sample_outfit(rng: np.random.Generator, cid: int) -> Outfit:
    """Draw a random outfit: an upper garment, a lower garment unless the
    upper one is a dress, shoes and maybe a bag.

    Args:
        rng (numpy.random.Generator): Random source.
        cid (int): The clothes id to give the outfit.

    Returns:
        Outfit: The outfit.

    Example:
        >>> outfit = sample_outfit(np.random.default_rng(0), cid=7)
        >>> (outfit.lower is None) == (outfit.upper.kind == 'dress')
        True
    """
    upper_kind = _pick(rng, sorted(UPPER_GARMENTS))
    upper = _sample_garment(rng, upper_kind)
    lower = None
    if upper_kind != 'dress':
        lower = _sample_garment(rng, _pick(rng, LOWER_GARMENTS))
    return Outfit(
        cid=int(cid),
        upper=upper,
        lower=lower,
        shoes=_pick(rng, SHOE_COLOURS),
        bag=_pick(rng, BAGS),
        bag_colour=_pick(rng, sorted(COLOURS)))


def outfits_look_different(a: Outfit, b: Outfit) -> bool:
    """Whether two outfits can be told apart at a glance.

    A person's outfits must differ this much, so that changing clothes
    really changes the look: the upper garments differ in colour, and the
    lower garments (or the dress) differ in kind or colour.

    Args:
        a (Outfit): An outfit.
        b (Outfit): Another outfit.

    Returns:
        bool: True when they differ clearly.
    """
    if a.upper.colour == b.upper.colour:
        return False
    if a.lower is None or b.lower is None:
        return True
    return (a.lower.kind, a.lower.colour) != (b.lower.kind, b.lower.colour)
