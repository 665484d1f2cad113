"""The population of SynthOmniReID: identities, wardrobes and cameras.

Everything random is drawn from a generator seeded by ``(seed, what,
*index)`` (see :func:`rng_for`), so each identity, outfit, camera and image
is a pure function of the seed and its own index: adding images to a list
never changes the others.
"""
from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np

from .cameras import Camera, sample_camera
from .factors import (Identity, Outfit, outfits_look_different,
                      sample_identity, sample_outfit)

#: Streams of random numbers, one per kind of thing drawn.
STREAMS = dict(
    identity=1, outfit=2, camera=3, image=4, text=5, split=6, confuser=7)


def rng_for(seed: int, stream: str, *index: int) -> np.random.Generator:
    """A random generator for one thing, independent of all others.

    Args:
        seed (int): Dataset seed.
        stream (str): Key of :data:`STREAMS`.
        *index (int): Non-negative integers naming the thing.

    Returns:
        numpy.random.Generator: The generator.

    Example:
        >>> a = rng_for(0, 'image', 3, 1).random()
        >>> a == rng_for(0, 'image', 3, 1).random()
        True
    """
    return np.random.default_rng([int(seed), STREAMS[stream]] +
                                 [int(i) for i in index])


@dataclass
class World:
    """All people, outfits and cameras of one generated dataset.

    Args:
        identities (dict[int, Identity]): By pid.
        outfits (dict[int, Outfit]): By clothes id.
        wardrobes (dict[int, tuple[int]]): Clothes ids of each pid, by slot;
            slot 0 is the main outfit.
        cameras (tuple[Camera]): By camera id.
        train_ids (tuple[int]): Training pids.
        test_ids (tuple[int]): Test pids (queries and galleries).
        distractor_ids (tuple[int]): Pids seen only in galleries.
    """
    identities: Dict[int, Identity]
    outfits: Dict[int, Outfit]
    wardrobes: Dict[int, Tuple[int, ...]]
    cameras: Tuple[Camera, ...]
    train_ids: Tuple[int, ...]
    test_ids: Tuple[int, ...]
    distractor_ids: Tuple[int, ...]

    def outfit_of(self, pid: int, slot: int) -> Outfit:
        """The outfit a person wears in a wardrobe slot."""
        return self.outfits[self.wardrobes[pid][slot]]


def _confuser_groups(ids, fraction: float, group_size: int,
                     rng) -> Dict[int, int]:
    """Group a fraction of ``ids`` by ``group_size`` (a remainder too small
    to form a group joins the last one) and map every pid of a group but
    the smallest to the smallest, whose outfit it copies."""
    order = [ids[i] for i in rng.permutation(len(ids))]
    num_shared = int(round(fraction * len(ids)))
    num_groups = num_shared // group_size
    groups = [
        order[group_size * i:group_size * (i + 1)] for i in range(num_groups)
    ]
    if groups:
        groups[-1] += order[group_size * num_groups:num_shared]
    copies = {}
    for group in groups:
        first, *others = sorted(group)
        copies.update((pid, first) for pid in others)
    return copies


class _Wardrobes:
    """Draws outfits with fresh clothes ids and fills wardrobes."""

    def __init__(self, seed: int):
        self.seed = seed
        self.outfits: Dict[int, Outfit] = {}
        self.wardrobes: Dict[int, Tuple[int, ...]] = {}

    def _new_outfit(self, pid: int, slot: int, taken: List[Outfit]) -> int:
        cid = len(self.outfits) + 1
        for attempt in range(1000):
            outfit = sample_outfit(
                rng_for(self.seed, 'outfit', pid, slot, attempt), cid)
            if all(outfits_look_different(outfit, o) for o in taken):
                break
        self.outfits[cid] = outfit
        return cid

    def fill(self, pid: int, num_slots: int, shared: Dict[int, int]) -> None:
        """Give ``pid`` its outfits.

        Args:
            pid (int): The identity.
            num_slots (int): Number of outfits.
            shared (dict[int, int]): Clothes ids to reuse, by slot. One that
                looks too much like an outfit already given is replaced by
                a new outfit.
        """
        cids = []
        for slot in range(num_slots):
            taken = [self.outfits[c] for c in cids]
            cid = shared.get(slot)
            if cid is None or not all(
                    outfits_look_different(self.outfits[cid], o)
                    for o in taken):
                cid = self._new_outfit(pid, slot, taken)
            cids.append(cid)
        self.wardrobes[pid] = tuple(cids)


def build_world(params: dict, seed: int) -> World:
    """Draw the people, their outfits and the cameras of a dataset.

    Pids and clothes ids start at 1: training identities first, then test
    identities, then distractors.

    Args:
        params (dict): A preset from :func:`resolve_preset`.
        seed (int): Dataset seed.

    Returns:
        World: The population.

    Example:
        >>> from .presets import resolve_preset
        >>> world = build_world(resolve_preset('tiny')[1], seed=0)
        >>> len(world.train_ids), len(world.cameras)
        (32, 4)
    """
    n_train = params['num_train_ids']
    n_test = params['num_test_ids']
    n_distractor = params['num_distractor_ids']
    train_ids = tuple(range(1, n_train + 1))
    test_ids = tuple(range(n_train + 1, n_train + n_test + 1))
    distractor_ids = tuple(
        range(n_train + n_test + 1, n_train + n_test + n_distractor + 1))

    identities = {
        pid: sample_identity(rng_for(seed, 'identity', pid), pid)
        for pid in train_ids + test_ids + distractor_ids
    }
    wardrobes = _Wardrobes(seed)
    num_slots = params['outfits_per_id']
    for split, ids in enumerate((train_ids, test_ids)):
        # The main outfit (slot 0) is shared by pairs of confusers; the
        # others by groups of `outfit_group_size`.
        copies = [
            _confuser_groups(ids, params['confuser_fraction'], 2,
                             rng_for(seed, 'confuser', split, 0))
        ] + [
            _confuser_groups(ids, params['shared_outfit_fraction'],
                             params['outfit_group_size'],
                             rng_for(seed, 'confuser', split, slot))
            for slot in range(1, num_slots)
        ]
        for pid in ids:
            shared = {
                slot: wardrobes.wardrobes[copies[slot][pid]][slot]
                for slot in range(num_slots) if pid in copies[slot]
            }
            wardrobes.fill(pid, num_slots, shared)
    for pid in distractor_ids:
        # A distractor may wear the outfit of a test identity.
        rng = rng_for(seed, 'confuser', 2, pid)
        shared = {}
        if rng.random() < params['confuser_fraction']:
            model = test_ids[int(rng.integers(len(test_ids)))]
            shared[0] = wardrobes.wardrobes[model][int(
                rng.integers(num_slots))]
        wardrobes.fill(pid, 1, shared)

    cameras = tuple(
        sample_camera(
            rng_for(seed, 'camera', c), c, params['nuisance'],
            params['noise_std']) for c in range(params['num_cameras']))
    return World(
        identities=identities,
        outfits=wardrobes.outfits,
        wardrobes=wardrobes.wardrobes,
        cameras=cameras,
        train_ids=train_ids,
        test_ids=test_ids,
        distractor_ids=distractor_ids)
