"""One rank of the distributed-collection test (run as a script).

Usage: python dist_collect_worker.py RANK WORLD_SIZE PORT OUT_JSON
"""
import json
import sys

import torch
import torch.distributed as dist
from mmengine.dataset import DefaultSampler

from mmreid_instruct.evaluation.metrics.reid_metric import ReIDMetric
from mmreid_instruct.structures.reid_data_sample import ReIDDataSample


def make_samples():
    """The toy set of test_reid_metric plus one far gallery item (7 in
    all, so that the sampler pads the last rank)."""
    rows = [([0., 0.], 1, 0, 'query', 0), ([10., 0.], 2, 0, 'query', 1),
            ([1., 0.], 2, 1, 'gallery', 0), ([0., 2.], 1, 1, 'gallery', 1),
            ([0., 0.], 1, 0, 'gallery', 2), ([10., 1.], 2, 1, 'gallery', 3),
            ([50., 50.], 9, 1, 'gallery', 4)]
    samples = []
    for feat, pid, camid, subset, idx in rows:
        s = ReIDDataSample(
            metainfo=dict(subset=subset, sample_idx=idx, dataset_name='toy'))
        s.set_pid(pid).set_camid(camid).set_task('trad')
        s.set_pred_feature(torch.tensor(feat))
        samples.append(s.to_dict())
    return samples


def vi_samples():
    """Two samples of another task, which a 'trad' metric ignores."""
    samples = []
    for subset in ('query', 'gallery'):
        s = ReIDDataSample(
            metainfo=dict(subset=subset, sample_idx=0, dataset_name='toy'))
        s.set_pid(1).set_camid(3).set_task('vi')
        s.set_pred_feature(torch.tensor([0., 0.]))
        samples.append(s.to_dict())
    return samples


def evaluate_on_rank(metric, samples, indices):
    """Feed this rank's samples (``indices``) to ``metric`` in batches of 2
    and evaluate it.

    Returns:
        tuple: the metrics, and the ``[subset, sample_idx]`` of every result
        that ``compute_metrics`` received (empty on ranks that do not
        compute).
    """
    seen = []
    compute = metric.compute_metrics

    def spy(results):
        seen.extend([r['subset'], r['sample_idx']] for r in results)
        return compute(results)

    metric.compute_metrics = spy
    for i in range(0, len(indices), 2):
        metric.process(None, [samples[j] for j in indices[i:i + 2]])
    return metric.evaluate(len(samples)), seen


def main(rank, world_size, port, out_file):
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=world_size)
    try:
        samples = make_samples()
        indices = list(DefaultSampler(samples, shuffle=False))
        res, seen = evaluate_on_rank(ReIDMetric(topk=(1, 2)), samples, indices)
        # A metric restricted to 'trad' over the same samples plus two
        # 'vi' ones (9 in all: the last rank is padded again).
        mixed = samples + vi_samples()
        mixed_indices = list(DefaultSampler(mixed, shuffle=False))
        task_metric = ReIDMetric(topk=(1, 2), tasks=['sc'])
        for i in range(0, len(mixed_indices), 2):
            task_metric.process(None,
                                [mixed[j] for j in mixed_indices[i:i + 2]])
        task_res = task_metric.evaluate(len(mixed))
    finally:
        dist.destroy_process_group()
    with open(out_file, 'w') as f:
        json.dump(
            dict(
                indices=indices, metrics=res, seen=seen,
                task_metrics=task_res), f)


if __name__ == '__main__':
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
