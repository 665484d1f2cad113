"""The numba counting backend: identical results to the numpy backend."""
import sys
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mmreid_instruct.evaluation.functional import rank_positions
from mmreid_instruct.evaluation.functional.rank import (
    evaluate_rank, evaluate_rank_from_features)
from .test_rank_properties import cases, check_against_reference

KERNELS = 'mmreid_instruct.evaluation.functional.rank_numba'


@pytest.fixture(scope='module')
def numba():
    return pytest.importorskip('numba')


def evaluate_both(distmat, *args, **kwargs):
    """Results of both backends, checked to be identical; the numpy one."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        expected = evaluate_rank(distmat, *args, backend='numpy', **kwargs)
        got = evaluate_rank(distmat, *args, backend='numba', **kwargs)
    assert got.keys() == expected.keys()
    np.testing.assert_array_equal(got['cmc'], expected['cmc'])
    for key in ('mAP', 'mINP', 'num_valid_queries'):
        assert got[key] == expected[key], key
    return expected


@pytest.mark.parametrize('count_limit, segment_bytes', [(None, None), (2, 8)])
@settings(max_examples=100, deadline=None)
@given(case=cases(), chunk_size=st.sampled_from([None, 1, 2]))
def test_numba_equals_numpy_and_reference(numba, count_limit, segment_bytes,
                                          case, chunk_size):
    # Tiny limits send rows with 3+ wanted items to the sort path and split
    # every row into segments of one or two columns.
    distmat, labels, options = case
    with pytest.MonkeyPatch.context() as m:
        if count_limit is not None:
            m.setattr(rank_positions, '_COUNT_LIMIT', count_limit)
            m.setattr(rank_positions, '_SEGMENT_BYTES', segment_bytes)
        evaluate_both(
            distmat,
            labels['q_pids'],
            labels['g_pids'],
            labels['q_camids'],
            labels['g_camids'],
            q_clothes_ids=labels['q_clothes_ids'],
            g_clothes_ids=labels['g_clothes_ids'],
            chunk_size=chunk_size,
            **options)
        # The default backend is numba here.
        check_against_reference(distmat, labels, options, chunk_size)


def _labels(seed, num_q, num_g, num_ids):
    """Random pids and cameras, and clothes ids as keyword arguments."""
    rng = np.random.default_rng(seed)
    labels = (rng.integers(-1, num_ids,
                           num_q), rng.integers(-1, num_ids, num_g),
              rng.integers(0, 3, num_q), rng.integers(0, 3, num_g))
    clothes = dict(
        q_clothes_ids=rng.integers(0, 3, num_q),
        g_clothes_ids=rng.integers(0, 3, num_g))
    return labels, clothes


@pytest.mark.parametrize('options', [{}, {
    'clothes_mode': 'cc'
}, {
    'clothes_mode': 'sc'
}, {
    'match_clothes': True
}, {
    'junk_pids': ()
}, {
    'junk_pids': (0, -1)
}, {
    'ap_topk': 30
}, {
    'max_rank': 5000
}])
@pytest.mark.parametrize('dtype', [np.float16, np.float32, np.float64])
def test_numba_equals_numpy_on_ties(numba, options, dtype):
    # 60 distance levels over 3,000 columns: long runs of ties per row, and
    # rows with more wanted items than the counting limit (few pids).
    labels, clothes = _labels(0, 40, 3000, 20)
    rng = np.random.default_rng(1)
    distmat = (rng.integers(0, 60, (40, 3000)) / 8).astype(dtype)
    res = evaluate_both(distmat, *labels, **clothes, **options)
    assert res['num_valid_queries'] > 0


@pytest.mark.parametrize(
    'dtype', [np.int8, np.uint16, np.int64, np.uint64, np.longdouble])
def test_numba_equals_numpy_for_other_dtypes(numba, dtype):
    labels, _ = _labels(2, 10, 200, 6)
    rng = np.random.default_rng(3)
    distmat = rng.integers(0, 100, (10, 200)).astype(dtype)
    if dtype == np.uint64:
        distmat += np.uint64(2**63)  # beyond int64
    evaluate_both(distmat, *labels)


def test_numba_handles_infinity_and_signed_zero(numba):
    distmat = np.array([[np.inf, -0.0, 0.0, np.inf, -np.inf, 0.0]])
    res = evaluate_both(
        distmat, [1], [1, 1, 2, 1, 3, 1], [0], [1, 1, 1, 1, 1, 1], max_rank=6)
    # Ranking g4, g1, g2, g5, g0, g3 (ties by index; -0.0 == 0.0):
    # matches at ranks 2, 4, 5 and 6.
    assert res['mAP'] == pytest.approx((1 / 2 + 2 / 4 + 3 / 5 + 4 / 6) / 4)


def test_numba_hand_worked_ties_and_junk(numba):
    distmat = np.array([[0.2, 0.2, 0.2, 0.2, 0.1]], dtype=np.float32)
    res = evaluate_both(
        distmat, [1], [2, 1, -1, 1, 1], [0], [1, 1, 1, 1, 0], max_rank=4)
    # g4 is same-camera junk and g2 a junk pid: ranking g0, g1, g3 (ties
    # by index), matches at ranks 2 and 3.
    assert res['mAP'] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert res['cmc'].tolist() == [0.0, 1.0, 1.0, 1.0]


def test_numba_queries_without_matches(numba):
    distmat = np.random.default_rng(0).random((3, 5))
    with pytest.warns(UserWarning, match='None of the 3 queries'):
        res = evaluate_rank(
            distmat, [7, 8, 9], [1, 2, 3, 4, 5], None, None, backend='numba')
    assert res['num_valid_queries'] == 0
    res = evaluate_both(
        distmat, [7, 1, 9], [1, 2, 3, 1, 5], None, None, max_rank=10)
    assert res['num_valid_queries'] == 1


def test_numba_torch_cpu_tensors_and_features(numba):
    labels, _ = _labels(4, 30, 400, 8)
    rng = np.random.default_rng(5)
    q = rng.integers(-3, 4, (30, 8)).astype(np.float32)
    g = rng.integers(-3, 4, (400, 8)).astype(np.float32)
    tensors = [torch.from_numpy(v) for v in labels]
    for metric in ('euclidean', 'cosine'):
        expected = evaluate_rank_from_features(
            q, g, *labels, metric=metric, backend='numpy')
        for feats in ((q, g), (torch.from_numpy(q), torch.from_numpy(g))):
            got = evaluate_rank_from_features(
                *feats, *tensors, metric=metric, chunk_size=7, backend='numba')
            np.testing.assert_array_equal(got['cmc'], expected['cmc'])
            assert got['mAP'] == expected['mAP']
            assert got['mINP'] == expected['mINP']
    distmat = rng.random((30, 400)).astype(np.float32)
    expected = evaluate_both(distmat, *labels)
    for dtype in (torch.float16, torch.float32, torch.float64):
        got = evaluate_rank(
            torch.from_numpy(distmat).to(dtype), *tensors, backend='numba')
        same = evaluate_rank(
            torch.from_numpy(distmat).to(dtype), *tensors, backend='numpy')
        np.testing.assert_array_equal(got['cmc'], same['cmc'])
        assert got['mAP'] == same['mAP']
        if dtype != torch.float16:
            assert got['mAP'] == expected['mAP']


def test_numba_kernel_without_disk_cache(numba, monkeypatch):
    # With no writable cache directory numba refuses cache=True; the
    # kernels are then compiled without it.
    from numba.core import caching

    from mmreid_instruct.evaluation.functional import rank_numba

    def unwritable(self):
        raise PermissionError('read-only')

    monkeypatch.setattr(caching._CacheLocator, 'ensure_cache_path', unwritable)

    def add_one(x):
        return x + 1

    with pytest.raises(RuntimeError, match='cannot cache'):
        numba.njit(cache=True)(add_one)
    assert rank_numba._njit(add_one)(1) == 2


def test_backend_is_checked():
    with pytest.raises(ValueError, match='backend must be one of'):
        evaluate_rank(
            np.zeros((1, 2)), [1], [1, 2], None, None, backend='cython')


def test_without_numba(monkeypatch):
    monkeypatch.setitem(sys.modules, 'numba', None)  # import fails
    monkeypatch.delitem(sys.modules, KERNELS, raising=False)
    args = (np.array([[0.3, 0.1]]), [1], [1, 2], None, None)
    with pytest.raises(ImportError, match='pip install numba'):
        evaluate_rank(*args, backend='numba')
    with pytest.raises(ImportError, match='pip install numba'):
        evaluate_rank_from_features(
            np.ones((1, 2)), np.ones((2, 2)), *args[1:], backend='numba')
    res = evaluate_rank(*args, max_rank=2)  # 'auto' falls back to numpy
    assert res['cmc'].tolist() == [0.0, 1.0]
