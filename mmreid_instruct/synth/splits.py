"""Train, query and gallery lists of the six tasks of SynthOmniReID.

All tasks share one population: training identities appear only in train
lists, test identities only in query and gallery lists, and distractor
identities only in galleries. Images are shared between tasks (e.g. the
``trad`` images are also the main-outfit images of ``cc``). What each task
draws:

- ``trad``: the main outfit in every camera. Query: one image per (test id,
  camera) for half of the cameras; gallery: the rest and distractors.
- ``cc``: every outfit. Query: one image per (test id, outfit); gallery:
  the rest, so each query has the person in other clothes and cameras.
- ``ctcc`` / ``li``: every outfit. Query: one image per (test id, outfit)
  with an instruction naming another outfit of the same person (garment
  template / description), one that is not the main outfit when the person
  has more than two; its clothes id column is that target outfit. Gallery
  rows carry their own outfit's instruction. Training rows name the
  row's own outfit, or with ``instruction_swap_prob`` another outfit of the
  same person (then the clothes id column is that outfit).
- ``vi``: the main outfit. Training: RGB and infrared images of every
  camera; query: infrared images from odd cameras; gallery: RGB images from
  even cameras.
- ``t2i``: the main outfit. Training: every image with
  ``captions_per_image`` captions; query: one caption per test image;
  gallery: the test images and distractors.
"""
from typing import Dict, List, NamedTuple

import numpy as np

from mmreid_instruct.utils.tasks import TASKS
from .layout import PLACEHOLDER, T2I_GALLERY_PLACEHOLDER, Assets, ImageKey
from .world import World, rng_for

#: The subsets of every task.
SUBSETS = ('train', 'query', 'gallery')


class Row(NamedTuple):
    """One list line: ``<image> <instruction ref> <pid> <clothes id>
    <camera id>``."""
    image: str
    ref: str
    pid: int
    clothes_id: int
    cam: int

    def line(self) -> str:
        return (f'{self.image} {self.ref} {self.pid} {self.clothes_id} '
                f'{self.cam}')


class _Pool:
    """The images a task may draw, with their rows."""

    def __init__(self, world: World, params: dict, assets: Assets, seed: int):
        self.world = world
        self.params = params
        self.assets = assets
        self.seed = seed
        self.cams = range(params['num_cameras'])

    def cid(self, key: ImageKey) -> int:
        return self.world.wardrobes[key.pid][key.slot]

    def main_images(self, pid: int, modality: str = 'rgb', cams=None):
        count = self.params['images_per_cell' if modality ==
                            'rgb' else 'ir_images_per_cell']
        cams = self.cams if cams is None else cams
        return [
            ImageKey(pid, 0, cam, k, modality) for cam in cams
            for k in range(count)
        ]

    def all_images(self, pid: int):
        extra = [
            ImageKey(pid, slot, cam, k)
            for slot in range(1, self.params['outfits_per_id'])
            for cam in self.cams
            for k in range(self.params['images_per_extra_cell'])
        ]
        return self.main_images(pid) + extra

    def distractors(self, cams=None):
        """Distractor images (spread over the cameras), those of ``cams``
        only when given."""
        num_cams = len(self.cams)
        keys = []
        for pid in self.world.distractor_ids:
            for j in range(self.params['distractor_images']):
                cam = (pid + j) % num_cams
                if cams is None or cam in cams:
                    keys.append(ImageKey(pid, 0, cam, j // num_cams))
        return keys

    def rng(self, task: str, *index: int) -> np.random.Generator:
        return rng_for(self.seed, 'split', TASKS.index(task), *index)

    def row(self, key: ImageKey, ref: str, cid: int = None) -> Row:
        return Row(
            self.assets.image(key), ref, key.pid,
            self.cid(key) if cid is None else cid, key.cam)


def _split_queries(pool: _Pool, task: str, picker) -> tuple:
    """Queries chosen by ``picker(pid, images, rng)`` and the rest."""
    queries, rest = [], []
    for pid in pool.world.test_ids:
        images = pool.all_images(pid) if task != 'trad' else \
            pool.main_images(pid)
        chosen = picker(pid, images, pool.rng(task, pid))
        queries += chosen
        taken = set(chosen)
        rest += [key for key in images if key not in taken]
    return queries, rest + pool.distractors()


def _pick_per(images, attribute: str, values, rng) -> List[ImageKey]:
    """One random image per value of ``attribute`` among ``values``."""
    chosen = []
    for value in values:
        options = [k for k in images if getattr(k, attribute) == value]
        chosen.append(options[int(rng.integers(len(options)))])
    return chosen


def _trad(pool: _Pool) -> Dict[str, List[Row]]:
    num_query_cams = max(1, pool.params['num_cameras'] // 2)

    def picker(pid, images, rng):
        cams = sorted(
            rng.choice(
                pool.params['num_cameras'], num_query_cams,
                replace=False).tolist())
        return _pick_per(images, 'cam', cams, rng)

    queries, gallery = _split_queries(pool, 'trad', picker)
    train = [k for pid in pool.world.train_ids for k in pool.main_images(pid)]
    return dict(
        train=[pool.row(k, PLACEHOLDER) for k in train],
        query=[pool.row(k, PLACEHOLDER) for k in queries],
        gallery=[pool.row(k, PLACEHOLDER) for k in gallery])


def _one_per_outfit(pool: _Pool):

    def picker(pid, images, rng):
        return _pick_per(images, 'slot', range(pool.params['outfits_per_id']),
                         rng)

    return picker


def _cc(pool: _Pool) -> Dict[str, List[Row]]:
    queries, gallery = _split_queries(pool, 'cc', _one_per_outfit(pool))
    train = [k for pid in pool.world.train_ids for k in pool.all_images(pid)]
    return {
        subset: [pool.row(k, pool.assets.crop(k)) for k in keys]
        for subset, keys in (('train', train), ('query', queries), ('gallery',
                                                                    gallery))
    }


def _instructed(pool: _Pool, task: str) -> Dict[str, List[Row]]:
    """``ctcc`` and ``li``: instructions naming a target outfit."""
    num_slots = pool.params['outfits_per_id']
    variants = pool.params['descriptions_per_outfit']

    def row(key: ImageKey, target_slot: int, rng) -> Row:
        cid = pool.world.wardrobes[key.pid][target_slot]
        if task == 'ctcc':
            instruction = pool.assets.template(cid)
        else:
            instruction = pool.assets.description(cid,
                                                  int(rng.integers(variants)))
        return pool.row(key, instruction, cid)

    def other_slot(slot: int, rng) -> int:
        return int((slot + 1 + rng.integers(num_slots - 1)) % num_slots)

    def query_target(slot: int, rng) -> int:
        # Main outfits are rarely shared (`confuser_fraction`), the others
        # by groups of people, so naming one of those is what keeps the
        # instruction alone from finding the person.
        choices = [s for s in range(1, num_slots) if s != slot]
        if not choices:
            return other_slot(slot, rng)
        return choices[int(rng.integers(len(choices)))]

    train = []
    for pid in pool.world.train_ids:
        rng = pool.rng(task, pid, 1)
        for key in pool.all_images(pid):
            target = key.slot
            if rng.random() < pool.params['instruction_swap_prob']:
                target = other_slot(key.slot, rng)
            train.append(row(key, target, rng))

    queries, gallery = _split_queries(pool, task, _one_per_outfit(pool))
    query_rows = []
    for key in queries:
        rng = pool.rng(task, key.pid, 2, key.slot)
        query_rows.append(row(key, query_target(key.slot, rng), rng))
    gallery_rows = []
    for key in gallery:
        rng = pool.rng(task, key.pid, 3, key.slot, key.cam, key.k)
        gallery_rows.append(row(key, key.slot, rng))
    return dict(train=train, query=query_rows, gallery=gallery_rows)


def _vi(pool: _Pool) -> Dict[str, List[Row]]:
    cams = list(pool.cams)
    query_cams, gallery_cams = cams[1::2], cams[0::2]
    train = []
    for pid in pool.world.train_ids:
        train += pool.main_images(pid) + pool.main_images(pid, 'ir')
    queries = [
        k for pid in pool.world.test_ids
        for k in pool.main_images(pid, 'ir', query_cams)
    ]
    gallery = [
        k for pid in pool.world.test_ids
        for k in pool.main_images(pid, 'rgb', gallery_cams)
    ]
    gallery += pool.distractors(gallery_cams)
    return {
        subset: [pool.row(k, PLACEHOLDER) for k in keys]
        for subset, keys in (('train', train), ('query', queries), ('gallery',
                                                                    gallery))
    }


def _t2i(pool: _Pool) -> Dict[str, List[Row]]:
    train = [
        pool.row(k, pool.assets.caption(k, v)) for pid in pool.world.train_ids
        for k in pool.main_images(pid)
        for v in range(pool.params['captions_per_image'])
    ]
    test = [k for pid in pool.world.test_ids for k in pool.main_images(pid)]
    return dict(
        train=train,
        query=[pool.row(k, pool.assets.caption(k, 0)) for k in test],
        gallery=[
            pool.row(k, T2I_GALLERY_PLACEHOLDER)
            for k in test + pool.distractors()
        ])


def build_lists(world: World, params: dict, assets: Assets,
                seed: int) -> Dict[str, Dict[str, List[Row]]]:
    """Make the train, query and gallery lists of every task.

    Args:
        world (World): The population.
        params (dict): The preset.
        assets (Assets): Names files and records which ones are needed.
        seed (int): Dataset seed.

    Returns:
        dict: ``{task: {subset: [Row, ...]}}`` for :data:`TASKS` and
        :data:`SUBSETS`.

    Example:
        >>> from .presets import resolve_preset
        >>> from .world import build_world
        >>> params = resolve_preset('tiny')[1]
        >>> world = build_world(params, 0)
        >>> lists = build_lists(world, params, Assets(world.wardrobes), 0)
        >>> len(lists['trad']['train'])
        256
    """
    pool = _Pool(world, params, assets, seed)
    return dict(
        trad=_trad(pool),
        cc=_cc(pool),
        ctcc=_instructed(pool, 'ctcc'),
        li=_instructed(pool, 'li'),
        vi=_vi(pool),
        t2i=_t2i(pool))
