"""One rank of the distributed MultiTaskPKSampler test (run as a script).

Usage: python multi_task_dist_worker.py RANK WORLD_SIZE PORT OUT_JSON

The rank, the world size and the seed come from torch.distributed (nothing
is mocked): the sampler is built with ``seed=None``, so rank 0 draws the seed
and broadcasts it.
"""
import itertools
import json
import sys

import numpy as np

NUM_PIDS, NUM_INSTANCES = 3, 2
RATIOS = dict(trad=2, cc=1, vi=1)
NUM_BATCHES, SKIP, NUM_RESUMED = 40, 13, 12


class FakeSubDataset:
    """A training set exposing what the sampler reads."""

    def __init__(self, pids, task):
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


def make_concat(spec, seed, max_images):
    """Sub-datasets of the given ``(task, identities)`` with 1 to
    ``max_images`` images per identity and shuffled indices."""
    rng = np.random.default_rng(seed)
    datasets = []
    for task, num_ids in spec:
        pids = np.concatenate([
            np.full(rng.integers(1, max_images + 1), pid)
            for pid in range(num_ids)
        ])
        datasets.append(FakeSubDataset(rng.permutation(pids), task))
    return FakeConcat(datasets)


def make_dataset():
    """Three sub-datasets (trad, cc, vi) with 1 to 6 images per identity."""
    return make_concat((('trad', 7), ('cc', 5), ('vi', 4)), 123, 6)


def take_batches(sampler, num_batches):
    stream = iter(sampler)
    return [[list(s) for s in itertools.islice(stream, sampler.batch_size)]
            for _ in range(num_batches)]


def main(rank, world_size, port, out_file):
    import torch.distributed as dist
    from mmengine.dist import get_dist_info

    from mmreid_instruct.datasets.samplers import MultiTaskPKSampler

    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=world_size)
    try:
        sampler = MultiTaskPKSampler(
            make_dataset(), NUM_PIDS, NUM_INSTANCES, ratios=RATIOS, seed=None)
        batches = take_batches(sampler, NUM_BATCHES)
        resumed = MultiTaskPKSampler(
            make_dataset(),
            NUM_PIDS,
            NUM_INSTANCES,
            ratios=RATIOS,
            seed=sampler.seed)
        resumed.skip(SKIP)
        resumed_batches = take_batches(resumed, NUM_RESUMED)
        dist_info = list(get_dist_info())
        seen = dict(rank=sampler.rank, world_size=sampler.world_size)
    finally:
        dist.destroy_process_group()
    with open(out_file, 'w') as f:
        json.dump(
            dict(
                seed=sampler.seed,
                dist_info=dist_info,
                seen=seen,
                batches=batches,
                resumed=resumed_batches), f)


if __name__ == '__main__':
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
