"""Size and difficulty presets of SynthOmniReID.

A preset is a flat dict; :data:`PRESETS` holds the named ones and
:func:`resolve_preset` turns a name or a dict of overrides into a checked,
complete preset. The difficulty knobs are:

- ``confuser_fraction``: fraction of identities whose main outfit (the one
  of ``trad``, ``vi`` and ``t2i``) is worn by another identity of the same
  split too; such people differ only by body, skin and hair. Distractor
  identities wear an outfit of a test identity with this probability.
- ``shared_outfit_fraction`` and ``outfit_group_size``: fraction of
  identities whose other outfits (each slot on its own) are worn by a group
  of ``outfit_group_size`` people. In ``ctcc`` and ``li`` every gallery row
  carries its own outfit's instruction, so a model could match the
  instruction alone; shared outfits are what make the person matter there
  (the query instructions name shared outfits).
- ``nuisance``: 0-1, how much cameras differ (illumination gain, colour
  cast, blur, background, preferred viewpoint).
- ``occlusion_prob``: probability that an object covers part of a person.
- ``noise_std``: mean sensor noise (0-255 scale); each camera draws its own
  level around it.
- ``pose_jitter``: 0-1, spread of scale, position and arm/leg swing.
- ``colour_jitter``: relative per-image change of garment colours.
"""
import copy
from typing import Tuple, Union

#: Every preset key and the check it must pass.
_INT_KEYS = {
    'num_train_ids': 2,
    'num_test_ids': 2,
    'num_distractor_ids': 0,
    'distractor_images': 1,
    'outfits_per_id': 2,
    'outfit_group_size': 2,
    'num_cameras': 3,
    'images_per_cell': 1,
    'images_per_extra_cell': 1,
    'ir_images_per_cell': 1,
    'descriptions_per_outfit': 1,
    'captions_per_image': 1,
}
_UNIT_KEYS = ('confuser_fraction', 'shared_outfit_fraction', 'nuisance',
              'occlusion_prob', 'pose_jitter', 'instruction_swap_prob')
_FLOAT_KEYS = ('noise_std', 'colour_jitter')
_SIZE_KEYS = ('image_size', 'clothes_size')

_TINY = dict(
    # identities and what is rendered of each
    num_train_ids=32,
    num_test_ids=32,
    num_distractor_ids=8,  # extra people only found in galleries
    distractor_images=4,  # images per distractor identity
    outfits_per_id=3,  # outfit 0 is the main one (trad, vi, t2i)
    num_cameras=4,
    images_per_cell=2,  # per (id, main outfit, camera)
    images_per_extra_cell=1,  # per (id, other outfit, camera)
    ir_images_per_cell=2,  # infrared, per (id, main outfit, camera)
    image_size=(128, 64),  # (height, width) of person images
    clothes_size=(64, 64),  # clothes crops and garment templates
    # difficulty
    confuser_fraction=0.25,
    shared_outfit_fraction=1.0,
    outfit_group_size=3,
    nuisance=0.6,
    occlusion_prob=0.15,
    noise_std=4.0,
    pose_jitter=0.6,
    colour_jitter=0.04,
    # instructions
    instruction_swap_prob=0.5,  # ctcc/li train rows naming another outfit
    descriptions_per_outfit=3,  # li paraphrases per outfit
    captions_per_image=2,  # t2i captions per training image
)

#: The named presets.
PRESETS = {
    'tiny':
    _TINY,
    'small':
    dict(
        _TINY,
        num_train_ids=150,
        num_test_ids=150,
        num_distractor_ids=50,
        num_cameras=6,
        images_per_cell=3),
    'full':
    dict(
        _TINY,
        num_train_ids=500,
        num_test_ids=500,
        num_distractor_ids=200,
        outfits_per_id=4,
        num_cameras=8,
        images_per_cell=3,
        image_size=(256, 128),
        clothes_size=(128, 128)),
}

#: Overrides of ``tiny`` giving the smallest dataset that still exercises
#: every feature (confusers, shared outfits, distractors, occluders,
#: infrared); it generates in about a second, for unit tests and smoke runs.
MICRO_OVERRIDES = dict(
    base='tiny',
    num_train_ids=4,
    num_test_ids=4,
    num_distractor_ids=2,
    distractor_images=3,
    num_cameras=3,
    images_per_cell=2,
    images_per_extra_cell=1,
    ir_images_per_cell=1,
    image_size=(64, 32),
    clothes_size=(32, 32),
    confuser_fraction=0.5,
    shared_outfit_fraction=0.5,
    outfit_group_size=2,
    occlusion_prob=0.5,
)


def check_preset(params: dict) -> None:
    """Raise a ``ValueError`` naming the key if a preset is invalid.

    Args:
        params (dict): A complete preset.
    """
    expected = set(_TINY)
    unknown = sorted(set(params) - expected)
    missing = sorted(expected - set(params))
    if unknown or missing:
        raise ValueError(f'preset: unknown keys {unknown}, missing keys '
                         f'{missing} (valid keys: {sorted(expected)}).')
    for key, low in _INT_KEYS.items():
        value = params[key]
        if not isinstance(value, int) or isinstance(value, bool) or \
                value < low:
            raise ValueError(f'preset[{key!r}] must be an int >= {low}, got '
                             f'{value!r}.')
    for key in _UNIT_KEYS:
        value = params[key]
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f'preset[{key!r}] must be a number in [0, 1], '
                             f'got {value!r}.')
    for key in _FLOAT_KEYS:
        value = params[key]
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f'preset[{key!r}] must be a number >= 0, got '
                             f'{value!r}.')
    for key in _SIZE_KEYS:
        value = params[key]
        if (not isinstance(value, (tuple, list)) or len(value) != 2
                or not all(isinstance(v, int) and v >= 32 for v in value)):
            raise ValueError(f'preset[{key!r}] must be (height, width), two '
                             f'ints >= 32, got {value!r}.')


def resolve_preset(preset: Union[str, dict]) -> Tuple[str, dict]:
    """Turn a preset name or a dict of overrides into a complete preset.

    Args:
        preset (str | dict): A key of :data:`PRESETS`, or a dict of
            overrides of the preset named by its optional ``base`` key
            (``'tiny'`` by default).

    Returns:
        tuple[str, dict]: The preset name (``'<base>+custom'`` for
        overrides) and a checked copy of its parameters, sizes as tuples.

    Example:
        >>> name, params = resolve_preset(dict(occlusion_prob=0.3))
        >>> name, params['occlusion_prob'], params['num_cameras']
        ('tiny+custom', 0.3, 4)
    """
    if isinstance(preset, str):
        if preset not in PRESETS:
            raise ValueError(f'preset must be one of {sorted(PRESETS)} or '
                             f'a dict of overrides, got {preset!r}.')
        name, params = preset, copy.deepcopy(PRESETS[preset])
    elif isinstance(preset, dict):
        overrides = dict(preset)
        base = overrides.pop('base', 'tiny')
        if base not in PRESETS:
            raise ValueError(f"preset['base'] must be one of "
                             f'{sorted(PRESETS)}, got {base!r}.')
        name = f'{base}+custom'
        params = dict(copy.deepcopy(PRESETS[base]), **overrides)
    else:
        raise TypeError(f'preset must be a str or a dict, got '
                        f'{type(preset).__name__}.')
    check_preset(params)
    for key in _SIZE_KEYS:
        params[key] = tuple(params[key])
    return name, params
