"""The lists SynthOmniReID writes are valid and every query can be
answered under its task's rule."""
import json
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmreid_instruct.synth import PLACEHOLDER, T2I_GALLERY_PLACEHOLDER

TASKS = ('trad', 'cc', 'ctcc', 'li', 'vi', 't2i')
SUBSETS = ('train', 'query', 'gallery')
ROOTS = ('micro_root', 'synth_tiny_root')


@pytest.fixture(params=ROOTS)
def root(request):
    return Path(request.getfixturevalue(request.param))


def read_list(root, subset, task):
    rows = []
    text = (root / 'datalist' / f'{subset}_{task}.txt').read_text()
    assert text.endswith('\n')
    for line in text.splitlines():
        fields = line.split(' ')
        assert len(fields) == 5, line
        image, ref, pid, cid, cam = fields
        rows.append((image, ref, int(pid), int(cid), int(cam)))
    return rows


def read_all(root):
    return {
        task: {
            subset: read_list(root, subset, task)
            for subset in SUBSETS
        }
        for task in TASKS
    }


def meta_of(root):
    return json.loads((root / 'meta.json').read_text())


def is_ir(path):
    return 'ir' in Path(path).parts


def own_clothes(lists):
    """Clothes id actually worn in every RGB image (from the cc lists)."""
    own = {}
    for subset in SUBSETS:
        for image, _, _, cid, _ in lists['cc'][subset]:
            own[image] = cid
    return own


def test_fields_and_files(root):
    lists = read_all(root)
    meta = meta_of(root)
    captions = json.loads((root / 'datalist' / 'captions.json').read_text())
    num_cameras = meta['params']['num_cameras']
    used_keys = set()
    for task in TASKS:
        for subset in SUBSETS:
            rows = lists[task][subset]
            assert rows, (task, subset)
            for image, ref, pid, cid, cam in rows:
                assert (root / image).is_file(), image
                assert image.startswith('images/') and image.endswith('.png')
                assert pid > 0 and cid > 0 and 0 <= cam < num_cameras
                if task in ('trad', 'vi'):
                    assert ref == PLACEHOLDER
                elif task in ('cc', 'ctcc'):
                    assert ref.startswith('clothes/')
                    assert (root / ref).is_file(), ref
                elif task == 't2i' and subset == 'gallery':
                    assert ref == T2I_GALLERY_PLACEHOLDER
                else:
                    assert ref in captions, ref
                    used_keys.add(ref)
    assert set(captions) == used_keys
    assert all(isinstance(t, str) and t.strip() for t in captions.values())
    assert not any(' ' in key for key in captions)


def test_ids_disjoint(root):
    lists = read_all(root)
    meta = meta_of(root)
    train = {r[2] for t in TASKS for r in lists[t]['train']}
    query = {r[2] for t in TASKS for r in lists[t]['query']}
    gallery = {r[2] for t in TASKS for r in lists[t]['gallery']}
    assert not train & (query | gallery)
    assert query <= gallery
    assert len(train) == meta['ids']['train']
    assert len(query) == meta['ids']['test']
    assert len(gallery - query) == meta['ids']['distractor']


def test_clothes_ids_name_one_outfit(root):
    # A clothes id is an outfit: every template of it is the same file and
    # its descriptions come from one outfit.
    lists = read_all(root)
    template_of = {}
    for subset in SUBSETS:
        for _, ref, _, cid, _ in lists['ctcc'][subset]:
            assert template_of.setdefault(cid, ref) == ref
    assert len(set(template_of.values())) == len(template_of)
    for subset in SUBSETS:
        for _, ref, _, cid, _ in lists['li'][subset]:
            assert ref.startswith(f'li_o{cid:05d}_')


def test_trad_queries_have_cross_camera_matches(root):
    lists = read_all(root)
    gallery = lists['trad']['gallery']
    own = own_clothes(lists)
    for image, _, pid, cid, cam in lists['trad']['query']:
        assert own[image] == cid
        assert any(g[2] == pid and g[4] != cam for g in gallery), image
    assert {r[0]
            for r in lists['trad']['query']}.isdisjoint(r[0] for r in gallery)


def test_cc_queries_have_other_clothes_matches(root):
    lists = read_all(root)
    gallery = lists['cc']['gallery']
    for image, _, pid, cid, cam in lists['cc']['query']:
        assert any(g[2] == pid and g[3] != cid and g[4] != cam
                   for g in gallery), image


@pytest.mark.parametrize('task', ['ctcc', 'li'])
def test_instructed_queries(root, task):
    lists = read_all(root)
    own = own_clothes(lists)
    gallery = lists[task]['gallery']
    worn_by = defaultdict(set)
    for image, _, pid, cid, _ in gallery:
        assert own[image] == cid  # gallery rows name their own outfit
        worn_by[pid].add(cid)
    queries = lists[task]['query']
    for image, _, pid, target, cam in queries:
        # The target is worn by the same person in the gallery (another
        # camera), and the person is there in other clothes too.
        assert any(g[2] == pid and g[3] == target and g[4] != cam
                   for g in gallery), image
        assert worn_by[pid] - {target}
        assert own[image] != target
    # An instruction-blind model cannot tell which outfit is wanted: each
    # person's queries ask for several different outfits.
    targets = defaultdict(set)
    for _, _, pid, target, _ in queries:
        targets[pid].add(target)
    assert all(len(t) >= 2 for t in targets.values())


@pytest.mark.parametrize('task', ['ctcc', 'li'])
def test_instruction_alone_does_not_find_the_person(synth_tiny_root, task):
    lists = read_all(Path(synth_tiny_root))
    main = {pid: cid for _, _, pid, cid, _ in lists['trad']['gallery']}
    wearers = defaultdict(set)
    for _, _, pid, cid, _ in lists[task]['gallery']:
        wearers[cid].add(pid)
    queries = lists[task]['query']
    # Targets are never the main outfit (tiny has three per person), and
    # nearly all are worn by other people in the gallery too.
    assert all(target != main[pid] for _, _, pid, target, _ in queries)
    ambiguous = sum(len(wearers[target]) >= 2 for *_, target, _ in queries)
    assert ambiguous >= 0.85 * len(queries)


@pytest.mark.parametrize('task', ['ctcc', 'li'])
def test_instructed_train_rows_name_own_or_other_outfit(root, task):
    lists = read_all(root)
    own = {}
    for image, _, _, cid, _ in lists['cc']['train']:
        own[image] = cid
    wardrobe = defaultdict(set)
    for image, cid in own.items():
        wardrobe[image.split('/')[2]].add(cid)
    swapped = 0
    for image, _, _, target, _ in lists[task]['train']:
        assert target in wardrobe[image.split('/')[2]]
        swapped += target != own[image]
    assert 0 < swapped < len(lists[task]['train'])


def test_vi_modalities_and_cameras(root):
    lists = read_all(root)
    train = lists['vi']['train']
    modalities = defaultdict(set)
    for image, _, pid, _, _ in train:
        modalities[pid].add(is_ir(image))
    assert all(m == {True, False} for m in modalities.values())
    query, gallery = lists['vi']['query'], lists['vi']['gallery']
    assert all(is_ir(r[0]) for r in query)
    assert not any(is_ir(r[0]) for r in gallery)
    assert {r[4] for r in query}.isdisjoint(r[4] for r in gallery)
    for image, _, pid, _, _ in query:
        assert any(g[2] == pid for g in gallery), image
    for task in TASKS:
        if task != 'vi':
            assert not any(
                is_ir(r[0]) for s in SUBSETS for r in lists[task][s])


def test_t2i_queries_describe_gallery_images(root):
    lists = read_all(root)
    gallery = {r[0]: r for r in lists['t2i']['gallery']}
    for image, ref, pid, cid, cam in lists['t2i']['query']:
        assert ref.startswith('t2i_')
        assert gallery[image][2:] == (pid, cid, cam)


def test_images_decode(root):
    meta = meta_of(root)
    lists = read_all(root)
    size = tuple(meta['params']['image_size'])
    clothes = tuple(meta['params']['clothes_size'])
    checked = 0
    for task in ('vi', 'cc', 'ctcc'):
        for image, ref, *_ in lists[task]['query'][:5]:
            img = cv2.imread(str(root / image))
            assert img.shape == size + (3, )
            if is_ir(image):
                assert np.array_equal(img[..., 0], img[..., 1])
                assert np.array_equal(img[..., 0], img[..., 2])
            if ref.startswith('clothes/'):
                assert cv2.imread(str(root / ref)).shape == clothes + (3, )
            checked += 1
    assert checked >= 10
