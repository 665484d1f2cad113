"""The torch (GPU) code path: the stable-argsort reference path on
tensors. Without CUDA it is exercised on CPU tensors through a row source
that keeps them as tensors; with CUDA the public functions are compared on
the GPU."""
import warnings

import numpy as np
import pytest
import torch

from mmreid_instruct.evaluation.functional import rank_positions
from mmreid_instruct.evaluation.functional.distance import (
    distance_from_parts, pairwise_distance, row_factors)
from mmreid_instruct.evaluation.functional.rank import (
    evaluate_rank, evaluate_rank_from_features, evaluate_source)
from mmreid_instruct.evaluation.functional.rank_protocol import (MatchRules,
                                                                 RankProtocol)
from mmreid_instruct.evaluation.functional.utils import RowSource
from ..paths import PROTOCOL_OPTIONS


class TorchRows(RowSource):
    """A row source holding a CPU tensor, ranked on the torch path."""
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


OPTIONS = PROTOCOL_OPTIONS + ({'ap_topk': 7}, )


@pytest.mark.parametrize('options', OPTIONS)
@pytest.mark.parametrize('chunk_size', [None, 4])
def test_torch_kernel_equals_numpy(options, chunk_size):
    for seed in range(5):
        distmat, labels, clothes = _case(seed)
        protocol = RankProtocol(max_rank=20, **options)
        args = (*labels.values(), *clothes.values())
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', UserWarning)
            expected = evaluate_rank(
                distmat, *args, protocol=protocol, chunk_size=chunk_size)
            source = TorchRows(distmat)
            got = evaluate_source(source,
                                  MatchRules(protocol, source.shape, *args),
                                  chunk_size)
        np.testing.assert_array_equal(got['cmc'], expected['cmc'])
        assert got['mAP'] == expected['mAP']
        assert got['mINP'] == expected['mINP']
        assert got['num_valid_queries'] == expected['num_valid_queries']


def test_torch_kernel_reports_nan():
    distmat, labels, _ = _case(0, num_q=3)
    distmat[:] = 1
    distmat[0, 5] = np.nan
    labels['q_pids'][:] = labels['g_pids'][0] = 1
    source = TorchRows(distmat)
    rules = MatchRules(
        RankProtocol(max_rank=5, junk_pids=()), source.shape, *labels.values())
    with pytest.raises(ValueError, match='NaN'):
        evaluate_source(source, rules)


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
        kwargs = dict(clothes, protocol=RankProtocol(**options))
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


def test_cpu_tensors_take_the_counting_kernel(monkeypatch):
    distmat, labels, _ = _case(1)
    calls = []
    kernel = rank_positions._counted_positions

    def spy(*args):
        calls.append(1)
        return kernel(*args)

    monkeypatch.setattr(rank_positions, '_counted_positions', spy)
    evaluate_rank(
        torch.from_numpy(distmat),
        *[torch.from_numpy(v) for v in labels.values()])
    assert calls
