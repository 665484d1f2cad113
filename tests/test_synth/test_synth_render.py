"""The SynthOmniReID population, renderer and captions."""
import dataclasses
from collections import Counter

import numpy as np
import pytest

from mmreid_instruct.synth.cameras import sample_camera, sample_shot
from mmreid_instruct.synth.factors import (Garment, Outfit,
                                           outfits_look_different,
                                           sample_identity, sample_outfit)
from mmreid_instruct.synth.presets import resolve_preset
from mmreid_instruct.synth.render import (TEMPLATE_BACKGROUND, crop_clothes,
                                          render_person, render_template)
from mmreid_instruct.synth.text import caption_person, describe_outfit
from mmreid_instruct.synth.world import build_world

SIZE = (128, 64)


def plain_outfit(colour='red', material='cotton'):
    upper = Garment('sweater', colour, 'solid', colour, material)
    lower = Garment('trousers', 'black', 'solid', 'black', 'cotton')
    return Outfit(
        cid=1,
        upper=upper,
        lower=lower,
        shoes='white',
        bag='none',
        bag_colour='red')


def render(outfit, modality='rgb', seed=0, identity_seed=0):
    identity = sample_identity(np.random.default_rng(identity_seed), 1)
    camera = sample_camera(np.random.default_rng(7), 0, 0.5, 2.0)
    rng = np.random.default_rng(seed)
    shot = dataclasses.replace(
        sample_shot(rng, camera, 0.0, 0.5), view='front')
    return render_person(identity, outfit, camera, shot, rng, SIZE, modality)


def test_render_person_is_a_pure_function_of_its_rng():
    image, info = render(plain_outfit())
    assert image.shape == SIZE + (3, ) and image.dtype == np.uint8
    again, _ = render(plain_outfit())
    assert np.array_equal(image, again)
    x0, y0, x1, y1 = info['clothes_box']
    assert 0 <= x0 < x1 <= SIZE[1] and 0 <= y0 < y1 <= SIZE[0]


def test_outfit_and_body_change_the_image():
    base, _ = render(plain_outfit('red'))
    other_clothes, _ = render(plain_outfit('green'))
    other_person, _ = render(plain_outfit('red'), identity_seed=5)
    assert np.abs(base.astype(int) - other_clothes).mean() > 2
    assert np.abs(base.astype(int) - other_person).mean() > 1


def test_infrared_is_grey_and_follows_material():
    ir, info = render(plain_outfit(), 'ir')
    assert np.array_equal(ir[..., 0], ir[..., 1])
    assert np.array_equal(ir[..., 0], ir[..., 2])
    x0, y0, x1, y1 = info['clothes_box']

    def torso_change(a, b):
        return np.abs(a[y0:y1, x0:x1].astype(int) - b[y0:y1, x0:x1]).mean()

    leather, _ = render(plain_outfit(material='leather'), 'ir')
    recoloured, _ = render(plain_outfit('teal'), 'ir')
    rgb, _ = render(plain_outfit('red'))
    rgb_recoloured, _ = render(plain_outfit('teal'))
    # A new material changes the infrared image more than a new colour,
    # which changes the RGB image a lot.
    assert torso_change(ir, leather) > 3 * torso_change(ir, recoloured)
    assert torso_change(rgb, rgb_recoloured) > \
        3 * torso_change(ir, recoloured)


def test_bad_modality():
    with pytest.raises(ValueError, match='modality'):
        render(plain_outfit(), 'depth')


def test_template_and_crop():
    outfit = sample_outfit(np.random.default_rng(3), 9)
    template = render_template(outfit, (64, 64))
    assert template.shape == (64, 64, 3)
    assert tuple(template[0, 0]) == TEMPLATE_BACKGROUND
    assert np.array_equal(template, render_template(outfit, (64, 64)))
    other = render_template(plain_outfit('green'), (64, 64))
    assert not np.array_equal(template, other)
    image, info = render(outfit)
    assert crop_clothes(image, info['clothes_box'], (48, 40)).shape == \
        (48, 40, 3)


def test_descriptions_and_captions_name_the_factors():
    rng = np.random.default_rng(0)
    outfit = plain_outfit('red')
    texts = {
        describe_outfit(outfit, np.random.default_rng(s))
        for s in range(20)
    }
    assert len(texts) >= 5  # paraphrases
    assert all('red' in t and t.endswith('.') for t in texts)
    identity = dataclasses.replace(
        sample_identity(rng, 1),
        skin='olive',
        hair_style='long',
        hair_colour='blonde')
    caption = caption_person(identity, outfit, None, rng)
    assert 'olive' in caption and 'blonde' in caption and 'red' in caption


def test_captions_are_deterministic():
    identity = sample_identity(np.random.default_rng(1), 1)
    outfit = sample_outfit(np.random.default_rng(2), 1)
    a = caption_person(identity, outfit, None, np.random.default_rng(5))
    b = caption_person(identity, outfit, None, np.random.default_rng(5))
    assert a == b


def test_world_ids_and_wardrobes():
    _, params = resolve_preset('tiny')
    world = build_world(params, seed=0)
    ids = world.train_ids + world.test_ids + world.distractor_ids
    assert list(ids) == list(range(1, len(ids) + 1))
    assert len(world.train_ids) == params['num_train_ids']
    for pid in world.train_ids + world.test_ids:
        outfits = [world.outfits[c] for c in world.wardrobes[pid]]
        assert len(outfits) == params['outfits_per_id']
        for i, a in enumerate(outfits):
            for b in outfits[i + 1:]:
                assert outfits_look_different(a, b)
    for cid, outfit in world.outfits.items():
        assert outfit.cid == cid
    assert len(world.cameras) == params['num_cameras']


@pytest.mark.parametrize('fraction', [0.0, 0.5, 1.0])
def test_confuser_fraction_shares_main_outfits(fraction):
    _, params = resolve_preset(
        dict(
            confuser_fraction=fraction,
            shared_outfit_fraction=0.0,
            num_distractor_ids=0))
    world = build_world(params, seed=0)
    for ids in (world.train_ids, world.test_ids):
        main = Counter(world.wardrobes[pid][0] for pid in ids)
        sharing = sum(n for n in main.values() if n > 1)
        assert sharing == pytest.approx(fraction * len(ids), abs=2)
        assert max(main.values()) <= 2
        others = Counter(c for pid in ids for c in world.wardrobes[pid][1:])
        assert max(others.values()) == 1
    train_cids = {c for p in world.train_ids for c in world.wardrobes[p]}
    test_cids = {c for p in world.test_ids for c in world.wardrobes[p]}
    assert not train_cids & test_cids


@pytest.mark.parametrize('group_size', [2, 3])
def test_shared_outfits_are_worn_by_groups(group_size):
    _, params = resolve_preset(
        dict(
            shared_outfit_fraction=1.0,
            outfit_group_size=group_size,
            num_distractor_ids=0))
    world = build_world(params, seed=0)
    for ids in (world.train_ids, world.test_ids):
        for slot in range(1, params['outfits_per_id']):
            wearers = Counter(world.wardrobes[pid][slot] for pid in ids)
            # Every group shares one outfit, unless it looked too much
            # like another outfit of a member, who then gets a new one.
            shared = sum(n for n in wearers.values() if n >= 2)
            assert shared >= 0.75 * len(ids)
            assert max(wearers.values()) >= group_size
            assert max(wearers.values()) < 2 * group_size
