"""Captions (``t2i``) and clothes descriptions (``li``) of SynthOmniReID.

Sentences come from templates over the same factors the renderer draws,
with paraphrase variety: synonyms, several sentence frames, clause order and
optional details all vary with the random generator, so two descriptions of
one outfit rarely read the same.
"""
from typing import List, Optional

import numpy as np

from .cameras import Shot
from .factors import Garment, Identity, Outfit

_KIND_WORDS = {
    't-shirt': ('t-shirt', 'tee', 'short-sleeved t-shirt'),
    'shirt': ('shirt', 'long-sleeved shirt', 'button-up shirt'),
    'sweater': ('sweater', 'jumper', 'pullover'),
    'jacket': ('jacket', 'zip-up jacket'),
    'coat': ('coat', 'long coat', 'overcoat'),
    'tank top': ('tank top', 'sleeveless top', 'vest top'),
    'dress': ('dress', 'knee-length dress'),
    'trousers': ('trousers', 'pants', 'slacks'),
    'jeans': ('jeans', 'denim jeans'),
    'shorts': ('shorts', 'short pants'),
    'skirt': ('skirt', 'knee-length skirt'),
}

_PLURAL_KINDS = ('trousers', 'jeans', 'shorts')

_COLOUR_WORDS = {
    'grey': ('grey', 'gray'),
    'navy': ('navy', 'navy blue', 'dark blue'),
    'beige': ('beige', 'cream'),
    'teal': ('teal', 'blue-green'),
}

_MATERIAL_WORDS = {
    'leather': 'leather',
    'denim': 'denim',
    'wool': 'woollen',
    'silk': 'silk',
    'linen': 'linen',
    'nylon': 'nylon',
}

_SHOE_WORDS = ('shoes', 'sneakers', 'trainers')


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _colour(rng, name: str) -> str:
    return _pick(rng, _COLOUR_WORDS.get(name, (name, )))


def _article(phrase: str) -> str:
    return ('an ' if phrase[0] in 'aeiou' else 'a ') + phrase


def _capitalise(text: str) -> str:
    return text[0].upper() + text[1:]


def garment_phrase(garment: Garment, rng: np.random.Generator) -> str:
    """Describe one garment, e.g. ``'a red and white striped tee'``.

    Args:
        garment (Garment): The garment.
        rng (numpy.random.Generator): Chooses among paraphrases.

    Returns:
        str: A noun phrase with its article.

    Example:
        >>> from .factors import Garment
        >>> g = Garment('jeans', 'blue', 'solid', 'blue', 'denim')
        >>> garment_phrase(g, np.random.default_rng(0)).endswith('jeans')
        True
    """
    kind = _pick(rng, _KIND_WORDS[garment.kind])
    if garment.material in _MATERIAL_WORDS and rng.random() < 0.3 and \
            garment.kind != 'jeans':
        kind = f'{_MATERIAL_WORDS[garment.material]} {kind}'
    colour = _colour(rng, garment.colour)
    second = _colour(rng, garment.pattern_colour)
    pattern = garment.pattern
    if pattern == 'solid':
        core = f'{colour} {kind}'
    elif pattern == 'stripes':
        core = _pick(rng, (f'{colour} and {second} striped {kind}',
                           f'{colour} {kind} with {second} stripes'))
    elif pattern == 'checks':
        core = _pick(rng, (f'{colour} and {second} checked {kind}',
                           f'{colour} {kind} with a {second} check pattern',
                           f'{colour} and {second} plaid {kind}'))
    else:
        core = _pick(rng, (f'{colour} {kind} with {second} dots',
                           f'{colour} polka-dot {kind} with {second} spots'))
    if garment.kind in _PLURAL_KINDS:
        return _pick(rng, (core, f'a pair of {core}'))
    return _article(core)


def _accessories(outfit: Outfit, rng: np.random.Generator) -> List[str]:
    """Optional phrases about shoes and bag."""
    extras = []
    if rng.random() < 0.6:
        extras.append(f'{_colour(rng, outfit.shoes)} '
                      f'{_pick(rng, _SHOE_WORDS)}')
    if outfit.bag != 'none' and rng.random() < 0.7:
        extras.append(
            _article(f'{_colour(rng, outfit.bag_colour)} '
                     f'{outfit.bag}'))
    return extras


def _clothes_clause(outfit: Outfit, rng: np.random.Generator) -> str:
    upper = garment_phrase(outfit.upper, rng)
    parts = [upper]
    if outfit.lower is not None:
        parts.append(garment_phrase(outfit.lower, rng))
    parts += _accessories(outfit, rng)
    if len(parts) == 1:
        return parts[0]
    joiner = ' and '
    if not any(' with ' in p for p in parts):
        joiner = _pick(rng, (' and ', ' with '))
    return ', '.join(parts[:-1]) + joiner + parts[-1]


def describe_outfit(outfit: Outfit, rng: np.random.Generator) -> str:
    """Describe what a person wears, as a ``li`` instruction.

    Args:
        outfit (Outfit): The outfit to describe.
        rng (numpy.random.Generator): Chooses the paraphrase.

    Returns:
        str: One sentence.

    Example:
        >>> from .factors import sample_outfit
        >>> text = describe_outfit(sample_outfit(
        ...     np.random.default_rng(0), 1), np.random.default_rng(1))
        >>> text.endswith('.')
        True
    """
    clothes = _clothes_clause(outfit, rng)
    frame = _pick(rng, (
        'wearing {}',
        'a person in {}',
        'dressed in {}',
        'the same person wearing {}',
        'find this person in {}',
        'this person changed into {}',
        'clothes: {}',
    ))
    return _capitalise(frame.format(clothes)) + '.'


def _hair_phrase(identity: Identity, rng: np.random.Generator) -> str:
    colour = identity.hair_colour
    style = identity.hair_style
    if style == 'bald':
        return _pick(rng, ('a bald head', 'no hair'))
    if style == 'hat':
        return _article(f'{_colour(rng, identity.hat_colour)} '
                        f'{_pick(rng, ("cap", "hat"))}')
    return _pick(
        rng, {
            'short': (f'short {colour} hair', f'{colour} hair cut short'),
            'long': (f'long {colour} hair', f'{colour} hair down to the '
                     f'shoulders'),
            'ponytail':
            (f'{colour} hair in a ponytail', f'a {colour} ponytail'),
            'bun': (f'{colour} hair tied in a bun', f'a {colour} bun'),
        }[style])


def _body_words(identity: Identity, rng: np.random.Generator) -> List[str]:
    words = []
    if identity.height >= 0.96:
        words.append('tall')
    elif identity.height <= 0.9:
        words.append(_pick(rng, ('short', 'small')))
    if identity.shoulder >= 0.135:
        words.append(_pick(rng, ('broad-shouldered', 'stocky', 'sturdy')))
    elif identity.shoulder <= 0.11:
        words.append(_pick(rng, ('slim', 'slender', 'thin')))
    if identity.leg >= 0.51:
        words.append('long-legged')
    return [w for w in words if rng.random() < 0.85]


def _view_phrase(shot: Optional[Shot], rng: np.random.Generator) -> str:
    if shot is None or rng.random() < 0.5:
        return ''
    if shot.view == 'front':
        return _pick(rng, ('facing the camera', 'walking towards the camera'))
    if shot.view == 'back':
        return _pick(rng, ('seen from behind', 'walking away from the '
                           'camera'))
    direction = 'right' if shot.facing > 0 else 'left'
    return _pick(rng, ('seen from the side', f'walking to the {direction}'))


def caption_person(identity: Identity, outfit: Outfit, shot: Optional[Shot],
                   rng: np.random.Generator) -> str:
    """Caption an image of a person, as a ``t2i`` query.

    The caption covers body build, skin, hair and clothes, and sometimes
    the viewpoint.

    Args:
        identity (Identity): Who is seen.
        outfit (Outfit): What they wear.
        shot (Shot, optional): The shot of the image, for the viewpoint.
        rng (numpy.random.Generator): Chooses the paraphrase.

    Returns:
        str: One to three sentences.

    Example:
        >>> from .factors import sample_identity, sample_outfit
        >>> rng = np.random.default_rng(0)
        >>> caption = caption_person(sample_identity(rng, 1),
        ...                          sample_outfit(rng, 1), None, rng)
        >>> caption.endswith('.')
        True
    """
    body = ' '.join(_body_words(identity, rng))
    person = _pick(rng, ('person', 'pedestrian', 'individual', 'walker'))
    who = f'{body} {person}' if body else person
    hair = _hair_phrase(identity, rng)
    skin = f'{identity.skin} skin'
    clothes = _clothes_clause(outfit, rng)
    view = _view_phrase(shot, rng)
    frame = int(rng.integers(4))
    if frame == 0:
        text = (f'{_article(who)} with {hair} and {skin}, '
                f'{_pick(rng, ("wearing", "dressed in", "in"))} {clothes}.')
    elif frame == 1:
        text = (f'This {who} has {hair} and {skin}. '
                f'{_pick(rng, ("They wear", "The person wears"))} '
                f'{clothes}.')
    elif frame == 2:
        text = (f'{_article(who)} in {clothes}. '
                f'{_pick(rng, ("The person has", "They have"))} {hair} '
                f'and {skin}.')
    else:
        text = f'{_article(who)} wearing {clothes}, with {hair} and {skin}.'
    text = _capitalise(text)
    if view:
        text += f' {_capitalise(view)}.'
    return text
