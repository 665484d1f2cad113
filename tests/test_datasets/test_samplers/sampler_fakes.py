"""Fake training sets and helpers shared by the sampler tests and by the
distributed worker script."""
import itertools

import numpy as np


class FakeSubDataset:
    """A training set exposing what the samplers read."""

    def __init__(self, pids, task=None):
        self.pids = np.asarray(pids)
        self.task = task

    def get_pids(self):
        return self.pids

    def __len__(self):
        return len(self.pids)


class FakeConcat:
    """The shape of mmengine's ConcatDataset."""

    def __init__(self, datasets):
        self.datasets = datasets
        self.cumulative_sizes = list(np.cumsum([len(d) for d in datasets]))

    def __len__(self):
        return self.cumulative_sizes[-1]


def random_pids(rng, num_ids, max_images):
    """Shuffled pids of ``num_ids`` identities with 1 to ``max_images``
    images each (so some have fewer than K)."""
    pids = np.concatenate([
        np.full(rng.integers(1, max_images + 1), pid) for pid in range(num_ids)
    ])
    return rng.permutation(pids)


def make_concat(spec, seed, max_images):
    """Sub-datasets of the given ``(task, identities)``, see
    :func:`random_pids`."""
    rng = np.random.default_rng(seed)
    return FakeConcat([
        FakeSubDataset(random_pids(rng, num_ids, max_images), task)
        for task, num_ids in spec
    ])


def take_batches(sampler, num_batches):
    """The first ``num_batches`` batches of a sampler's stream."""
    stream = iter(sampler)
    return [
        list(itertools.islice(stream, sampler.batch_size))
        for _ in range(num_batches)
    ]


def check_seeded_stream(make_sampler, num_batches, num_samples):
    """Check what both P×K samplers promise: the seed decides the stream
    (the same seed gives the same batches, another seed others) and the
    stream is ``(index, sample_seed)`` pairs, indices below ``num_samples``
    and no seed given twice. Return the batches."""
    batches = take_batches(make_sampler(seed=3), num_batches)
    assert batches == take_batches(make_sampler(seed=3), num_batches)
    assert batches != take_batches(make_sampler(seed=4), num_batches)
    seeds = [seed for batch in batches for _, seed in batch]
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= index < num_samples for batch in batches
               for index, _ in batch)
    return batches
