"""One rank of the distributed ITM re-rank test (run as a script).

Usage: python t2i_rerank_dist_worker.py RANK WORLD_SIZE PORT OUT_JSON
"""
import json
import sys

import torch.distributed as dist
from dist_collect_worker import evaluate_on_rank  # this folder's scripts
from mmengine.dataset import DefaultSampler
from t2i_toy import ToyScorer, toy_samples  # this folder's scripts

from mmreid_instruct.evaluation.metrics.t2i_metric import T2IMetric


def main(rank, world_size, port, out_file):
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=world_size)
    try:
        samples = toy_samples()
        indices = list(DefaultSampler(samples, shuffle=False))
        metric = T2IMetric(topk=(1, 5), rerank=dict(topk=4, batch_size=3))
        scorer = ToyScorer()
        metric.set_itm_scorer(scorer)
        res, seen = evaluate_on_rank(metric, samples, indices)
    finally:
        dist.destroy_process_group()
    with open(out_file, 'w') as f:
        json.dump(
            dict(
                indices=indices,
                metrics=res,
                seen=seen,
                num_pairs=scorer.num_pairs), f)


if __name__ == '__main__':
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
