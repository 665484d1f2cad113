"""The torch (GPU) code path. Without CUDA it is exercised on CPU tensors
through a row source that keeps them as tensors; with CUDA the public
functions are compared on the GPU."""
import warnings

import numpy as np
import pytest
import torch

from mmreid_instruct.evaluation.functional import rank_positions
from mmreid_instruct.evaluation.functional.distance import (
    distance_from_parts, pairwise_distance, row_factors)
from mmreid_instruct.evaluation.functional.rank import (
    _evaluate, evaluate_rank, evaluate_rank_from_features)


class TorchRows:
    """A row source holding a CPU tensor, run through the torch kernel."""
    is_torch = True
    check_blocks = True

    def __init__(self, distmat):
        self.distmat = torch.as_tensor(distmat)
        self.shape = tuple(self.distmat.shape)
        self.itemsize = self.distmat.element_size()

    def get(self, rows):
        return self.distmat[torch.as_tensor(rows)]


def _case(seed, levels=4, num_q=30, num_g=80):
    rng = np.random.default_rng(seed)
    distmat = rng.integers(0, levels, (num_q, num_g)).astype(np.float32)
    labels = dict(
        q_pids=rng.integers(-1, 6, num_q),
        g_pids=rng.integers(-1, 6, num_g),
        q_camids=rng.integers(0, 3, num_q),
        g_camids=rng.integers(0, 3, num_g))
    clothes = dict(
        q_clothes_ids=rng.integers(0, 3, num_q),
        g_clothes_ids=rng.integers(0, 3, num_g))
    return distmat, labels, clothes


OPTIONS = [{}, {
    'clothes_mode': 'cc'
}, {
    'clothes_mode': 'sc'
}, {
    'match_clothes': True
}, {
    'ap_topk': 7
}, {
    'junk_pids': ()
}]


@pytest.mark.parametrize('options', OPTIONS)
@pytest.mark.parametrize('chunk_size', [None, 4])
def test_torch_kernel_equals_numpy(options, chunk_size):
    for seed in range(5):
        distmat, labels, clothes = _case(seed)
        kwargs = dict(
            max_rank=20,
            chunk_size=chunk_size,
            **clothes,
            **dict(
                dict(
                    junk_pids=(-1, ),
                    clothes_mode=None,
                    match_clothes=False,
                    ap_topk=None), **options))
        args = (labels['q_pids'], labels['g_pids'], labels['q_camids'],
                labels['g_camids'])
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', UserWarning)
            expected = evaluate_rank(distmat, *args, **kwargs)
            got = _evaluate(TorchRows(distmat), *args, **kwargs)
        np.testing.assert_array_equal(got['cmc'], expected['cmc'])
        assert got['mAP'] == expected['mAP']
        assert got['mINP'] == expected['mINP']
        assert got['num_valid_queries'] == expected['num_valid_queries']


def test_torch_kernel_reports_nan():
    distmat, labels, _ = _case(0, num_q=3)
    distmat[:] = 1
    distmat[0, 5] = np.nan
    labels['q_pids'][:] = labels['g_pids'][0] = 1
    with pytest.raises(ValueError, match='NaN'):
        _evaluate(
            TorchRows(distmat),
            *labels.values(),
            max_rank=5,
            q_clothes_ids=None,
            g_clothes_ids=None,
            clothes_mode=None,
            match_clothes=False,
            junk_pids=(),
            ap_topk=None,
            chunk_size=None)


@pytest.mark.parametrize('metric', ['euclidean', 'cosine'])
def test_torch_distances_equal_numpy(metric):
    rng = np.random.default_rng(0)
    q = rng.integers(-2, 3, (5, 4)).astype(np.float32)
    g = rng.integers(-2, 3, (7, 4)).astype(np.float32)
    q[0] = 0  # a zero feature: cosine similarity 0
    expected = pairwise_distance(q, g, metric)
    qt, gt = torch.from_numpy(q), torch.from_numpy(g)
    got = distance_from_parts(qt, gt, metric, row_factors(qt, metric),
                              row_factors(gt, metric))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)
    if metric == 'cosine':
        assert np.all(expected[0] == 1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('options', OPTIONS)
def test_cuda_equals_cpu(options):
    for seed in range(3):
        distmat, labels, clothes = _case(
            seed, levels=1000, num_q=200, num_g=3000)
        args = list(labels.values())
        cuda_args = [torch.from_numpy(a).cuda() for a in args]
        kwargs = dict(clothes, **options)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', UserWarning)
            expected = evaluate_rank(distmat, *args, **kwargs)
            got = evaluate_rank(
                torch.from_numpy(distmat).cuda(), *cuda_args, **kwargs)
        np.testing.assert_array_equal(got['cmc'], expected['cmc'])
        assert got['mAP'] == pytest.approx(expected['mAP'], abs=1e-12)
        q = np.random.default_rng(seed).integers(-3, 4, (200, 16))
        g = np.random.default_rng(seed + 1).integers(-3, 4, (3000, 16))
        q, g = q.astype(np.float32), g.astype(np.float32)
        cpu = evaluate_rank_from_features(q, g, *args, **kwargs)
        gpu = evaluate_rank_from_features(
            torch.from_numpy(q).cuda(),
            torch.from_numpy(g).cuda(),
            *args,
            chunk_size=37,
            **kwargs)
        np.testing.assert_array_equal(gpu['cmc'], cpu['cmc'])
        assert gpu['mAP'] == pytest.approx(cpu['mAP'], abs=1e-12)


@pytest.mark.parametrize('backend', ['numpy', 'numba'])
def test_cpu_tensors_use_the_cpu_kernel(monkeypatch, backend):
    if backend == 'numba':
        pytest.importorskip('numba')
    distmat, labels, _ = _case(1)
    calls = []
    name = f'_positions_block_{backend}'
    kernel = getattr(rank_positions, name)

    def spy(*args):
        calls.append(1)
        return kernel(*args)

    monkeypatch.setattr(rank_positions, name, spy)
    evaluate_rank(
        torch.from_numpy(distmat),
        *[torch.from_numpy(v) for v in labels.values()],
        backend=backend)
    assert calls
