"""Distributed testing: with 2 gloo processes and mmengine's DefaultSampler
(which pads the last rank), every sample is evaluated exactly once, in
dataset order."""
import os.path as osp

import pytest
import torch.distributed as dist

WORKER = osp.join(osp.dirname(__file__), 'dist_collect_worker.py')


@pytest.mark.slow
@pytest.mark.skipif(not dist.is_available(), reason='no torch.distributed')
def test_two_ranks_count_every_sample_once(run_two_ranks):
    out = run_two_ranks(WORKER)
    # The sampler did pad: 7 samples over 2 ranks, index 0 given twice.
    assert sorted(out[0]['indices'] + out[1]['indices']) == \
        sorted(list(range(7)) + [0])
    # Rank 0 computed on each sample exactly once, in dataset order.
    assert out[0]['seen'] == [['query', 0], ['query', 1], ['gallery', 0],
                              ['gallery', 1], ['gallery', 2], ['gallery', 3],
                              ['gallery', 4]]
    # Every rank reports the numbers hand-worked in test_reid_metric (the
    # extra gallery item is far from both queries).
    expected = {
        'trad/R1': 50.0,
        'trad/R2': 100.0,
        'trad/mAP': 75.0,
        'trad/mINP': 75.0
    }
    for res in out:
        assert res['metrics'] == pytest.approx(expected)
    # The 'trad'-only metric over the samples plus two 'vi' ones: the same
    # numbers, keys naming the set.
    for res in out:
        assert res['task_metrics'] == pytest.approx({
            f'toy/{k}': v
            for k, v in expected.items()
        })
