import pytest

from mmreid_instruct.synth.presets import PRESETS, resolve_preset


def train_images(params):
    """Images of the trad and cc training lists of a preset."""
    main = params['num_cameras'] * params['images_per_cell']
    extra = (params['outfits_per_id'] - 1) * params['num_cameras'] * \
        params['images_per_extra_cell']
    return (params['num_train_ids'] * main,
            params['num_train_ids'] * (main + extra))


def test_named_presets_resolve():
    assert set(PRESETS) == {'tiny', 'small', 'full'}
    for name in PRESETS:
        resolved_name, params = resolve_preset(name)
        assert resolved_name == name
        assert isinstance(params['image_size'], tuple)


def test_preset_sizes_grow():
    tiny, small, full = (
        train_images(resolve_preset(n)[1]) for n in ('tiny', 'small', 'full'))
    assert 100 <= tiny[0] and tiny[1] < 1000  # a few hundred
    assert 1000 <= small[0] and small[1] < 10000  # a few thousand
    assert 10000 <= full[0] < 100000  # tens of thousands


def test_overrides():
    name, params = resolve_preset(dict(base='small', occlusion_prob=0.4))
    assert name == 'small+custom'
    assert params['occlusion_prob'] == 0.4
    assert params['num_train_ids'] == PRESETS['small']['num_train_ids']
    # PRESETS itself is not changed.
    assert PRESETS['small']['occlusion_prob'] != 0.4


@pytest.mark.parametrize('preset,match', [
    ('huge', 'huge'),
    (dict(base='huge'), 'base'),
    (dict(occlusion=0.1), 'occlusion'),
    (dict(occlusion_prob=1.5), 'occlusion_prob'),
    (dict(num_cameras=2), 'num_cameras'),
    (dict(outfits_per_id=1), 'outfits_per_id'),
    (dict(num_train_ids=2.5), 'num_train_ids'),
    (dict(image_size=(128, )), 'image_size'),
    (dict(noise_std=-1), 'noise_std'),
])
def test_invalid_presets_name_the_key(preset, match):
    with pytest.raises(ValueError, match=match):
        resolve_preset(preset)


def test_preset_type():
    with pytest.raises(TypeError, match='preset'):
        resolve_preset(3)
