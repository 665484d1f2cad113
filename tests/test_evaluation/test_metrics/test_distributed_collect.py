"""Distributed testing: with 2 gloo processes and mmengine's DefaultSampler
(which pads the last rank), every sample is evaluated exactly once, in
dataset order."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch.distributed as dist

WORKER = osp.join(osp.dirname(__file__), 'dist_collect_worker.py')
REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(not dist.is_available(), reason='no torch.distributed')
def test_two_ranks_count_every_sample_once(tmp_path):
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep +
               os.environ.get('PYTHONPATH', ''), OMP_NUM_THREADS='1')
    outs = [str(tmp_path / f'rank{r}.json') for r in range(2)]
    procs = [
        subprocess.Popen([sys.executable, WORKER, str(r), '2', str(port),
                          outs[r]], env=env, cwd=str(tmp_path),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for r in range(2)
    ]
    logs = [p.communicate(timeout=120)[0].decode() for p in procs]
    for p, log in zip(procs, logs):
        assert p.returncode == 0, log
    out = [json.load(open(f)) for f in outs]
    # The sampler did pad: 7 samples over 2 ranks, index 0 given twice.
    assert sorted(out[0]['indices'] + out[1]['indices']) == \
        sorted(list(range(7)) + [0])
    # Rank 0 computed on each sample exactly once, in dataset order.
    assert out[0]['seen'] == [['query', 0], ['query', 1], ['gallery', 0],
                              ['gallery', 1], ['gallery', 2], ['gallery', 3],
                              ['gallery', 4]]
    # Every rank reports the numbers hand-worked in test_reid_metric (the
    # extra gallery item is far from both queries).
    expected = {'trad/R1': 50.0, 'trad/R2': 100.0, 'trad/mAP': 75.0,
                'trad/mINP': 75.0}
    for res in out:
        assert res['metrics'] == pytest.approx(expected)
