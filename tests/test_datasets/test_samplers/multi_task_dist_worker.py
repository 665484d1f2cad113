"""One rank of the distributed MultiTaskPKSampler test (run as a script).

Usage: python multi_task_dist_worker.py RANK WORLD_SIZE PORT OUT_JSON

The rank, the world size and the seed come from torch.distributed (nothing
is mocked): the sampler is built with ``seed=None``, so rank 0 draws the seed
and broadcasts it.
"""
import json
import sys

from sampler_fakes import make_concat, take_batches

NUM_PIDS, NUM_INSTANCES = 3, 2
RATIOS = dict(trad=2, cc=1, vi=1)
NUM_BATCHES, SKIP, NUM_RESUMED = 40, 13, 12


def make_dataset():
    """Three sub-datasets (trad, cc, vi) with 1 to 6 images per identity."""
    return make_concat((('trad', 7), ('cc', 5), ('vi', 4)), 123, 6)


def json_batches(sampler, num_batches):
    """Batches of ``(index, seed)`` pairs, as JSON writes them."""
    return [[list(sample) for sample in batch]
            for batch in take_batches(sampler, num_batches)]


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
        batches = json_batches(sampler, NUM_BATCHES)
        resumed = MultiTaskPKSampler(
            make_dataset(),
            NUM_PIDS,
            NUM_INSTANCES,
            ratios=RATIOS,
            seed=sampler.seed)
        resumed.skip(SKIP)
        resumed_batches = json_batches(resumed, NUM_RESUMED)
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
