"""The fast CPU path (the numba counting kernel) against the stable-argsort
reference path: identical results for every protocol option and dtype."""
import contextlib

import numpy as np
import pytest
import torch

from mmreid_instruct.evaluation.functional import rank_positions
from mmreid_instruct.evaluation.functional.rank import (
    evaluate_rank, evaluate_rank_from_features)
from mmreid_instruct.evaluation.functional.rank_positions import (
    block_positions, counting_dtype, pair_positions)
from mmreid_instruct.evaluation.functional.rank_protocol import RankProtocol
from mmreid_instruct.evaluation.functional.utils import MatrixRows
from ..paths import (PROTOCOL_OPTIONS, assert_same_result, evaluate_both,
                     reference_path)
from ..reference import reference_evaluate


def _labels(seed, num_q, num_g, num_ids):
    """Random pids, cameras and clothes ids."""
    rng = np.random.default_rng(seed)
    return (rng.integers(-1, num_ids, num_q), rng.integers(-1, num_ids, num_g),
            rng.integers(0, 3, num_q), rng.integers(0, 3, num_g),
            rng.integers(0, 3, num_q), rng.integers(0, 3, num_g))


@pytest.mark.parametrize(
    'options', PROTOCOL_OPTIONS + ({
        'ap_topk': 30
    }, {
        'max_rank': 5000
    }))
@pytest.mark.parametrize('dtype', [np.float16, np.float32, np.float64])
def test_fast_path_equals_reference_on_ties(options, dtype):
    # 60 distance levels over 3,000 columns: long runs of ties per row, and
    # rows with more than 128 wanted items (few pids).
    labels = _labels(0, 40, 3000, 20)
    rng = np.random.default_rng(1)
    distmat = (rng.integers(0, 60, (40, 3000)) / 8).astype(dtype)
    res = evaluate_both(distmat, *labels, **options)
    assert res['num_valid_queries'] > 0


@pytest.mark.parametrize(
    'dtype', [np.int8, np.uint16, np.int64, np.uint64, np.longdouble])
def test_fast_path_equals_reference_for_other_dtypes(dtype):
    labels = _labels(2, 10, 200, 6)
    rng = np.random.default_rng(3)
    distmat = rng.integers(0, 100, (10, 200)).astype(dtype)
    if dtype == np.uint64:
        distmat += np.uint64(2**63)  # beyond int64
    evaluate_both(distmat, *labels)


def test_rows_with_very_many_items_are_argsorted(monkeypatch):
    # One identity (and 10 % junk pids) over 3,000 columns: about 2,700
    # wanted items per row, more than are counted one by one; ties
    # everywhere.
    rng = np.random.default_rng(4)
    labels = (np.zeros(4, dtype=np.int64),
              np.where(rng.random(3000) < 0.1, -1,
                       0), rng.integers(0, 3, 4), rng.integers(0, 3, 3000))
    distmat = rng.integers(0, 30, (4, 3000)).astype(np.float32)
    assert np.sum(labels[1] == 0) > rank_positions._SORT_ABOVE
    sorted_rows = []
    argsorted = rank_positions._argsorted_positions

    def spy(block, *args):
        sorted_rows.append(len(block))
        return argsorted(block, *args)

    monkeypatch.setattr(rank_positions, '_argsorted_positions', spy)
    res = evaluate_rank(distmat, *labels, protocol=RankProtocol(max_rank=3000))
    assert sorted_rows == [4]
    monkeypatch.undo()
    assert_same_result(res, evaluate_both(distmat, *labels, max_rank=3000))
    ref = reference_evaluate(distmat, *labels, max_rank=3000)
    np.testing.assert_allclose(res['cmc'], ref['cmc'], atol=1e-12)
    assert res['mAP'] == pytest.approx(ref['mAP'], abs=1e-12)


def test_infinity_and_signed_zero():
    distmat = np.array([[np.inf, -0.0, 0.0, np.inf, -np.inf, 0.0]])
    res = evaluate_both(
        distmat, [1], [1, 1, 2, 1, 3, 1], [0], [1, 1, 1, 1, 1, 1], max_rank=6)
    # Ranking g4, g1, g2, g5, g0, g3 (ties by index; -0.0 == 0.0):
    # matches at ranks 2, 4, 5 and 6.
    assert res['mAP'] == pytest.approx((1 / 2 + 2 / 4 + 3 / 5 + 4 / 6) / 4)


def test_hand_worked_ties_and_junk():
    distmat = np.array([[0.2, 0.2, 0.2, 0.2, 0.1]], dtype=np.float32)
    res = evaluate_both(
        distmat, [1], [2, 1, -1, 1, 1], [0], [1, 1, 1, 1, 0], max_rank=4)
    # g4 is same-camera junk and g2 a junk pid: ranking g0, g1, g3 (ties
    # by index), matches at ranks 2 and 3.
    assert res['mAP'] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert res['cmc'].tolist() == [0.0, 1.0, 1.0, 1.0]


def test_queries_without_matches():
    distmat = np.random.default_rng(0).random((3, 5))
    no_cameras = RankProtocol(use_camera=False)
    for path in (reference_path, contextlib.nullcontext):
        with path(), pytest.warns(UserWarning, match='None of the 3 queries'):
            res = evaluate_rank(
                distmat, [7, 8, 9], [1, 2, 3, 4, 5], protocol=no_cameras)
        assert res['num_valid_queries'] == 0
    res = evaluate_both(
        distmat, [7, 1, 9], [1, 2, 3, 1, 5],
        None,
        None,
        max_rank=10,
        use_camera=False)
    assert res['num_valid_queries'] == 1


def test_torch_cpu_tensors_and_features():
    labels = _labels(4, 30, 400, 8)[:4]
    rng = np.random.default_rng(5)
    q = rng.integers(-3, 4, (30, 8)).astype(np.float32)
    g = rng.integers(-3, 4, (400, 8)).astype(np.float32)
    tensors = [torch.from_numpy(v) for v in labels]
    for metric in ('euclidean', 'cosine'):
        with reference_path():
            expected = evaluate_rank_from_features(
                q, g, *labels, metric=metric)
        for feats in ((q, g), (torch.from_numpy(q), torch.from_numpy(g))):
            got = evaluate_rank_from_features(
                *feats, *tensors, metric=metric, chunk_size=7)
            assert_same_result(got, expected)
    distmat = rng.random((30, 400)).astype(np.float32)
    expected = evaluate_both(distmat, *labels)
    for dtype in (torch.float16, torch.float32, torch.float64):
        tensor = torch.from_numpy(distmat).to(dtype)
        got = evaluate_rank(tensor, *tensors)
        with reference_path():
            same = evaluate_rank(tensor, *tensors)
        assert_same_result(got, same)
        if dtype != torch.float16:
            assert got['mAP'] == expected['mAP']


def test_kernel_without_disk_cache(monkeypatch):
    # With no writable cache directory numba refuses cache=True; the
    # kernels are then compiled without it.
    import numba
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


def test_counting_dtype():
    counted = {
        np.float16: np.float32,
        np.float32: np.float32,
        np.float64: np.float64,
        np.int8: np.int64,
        np.uint32: np.int64,
        np.int64: np.int64,
        np.uint64: np.uint64,
        np.longdouble: None,
    }
    for dtype, expected in counted.items():
        got = counting_dtype(np.dtype(dtype))
        assert got == (None if expected is None else np.dtype(expected))


@pytest.mark.parametrize('to_tensor', [False, True])
def test_block_positions_counts_items_ranked_before(to_tensor):
    # Row 0 ranks g1 (0.1), g2 and g3 (0.2, tied: by index), g0 (0.3);
    # row 1 ties all four, ranked by index.
    block = np.array([[0.3, 0.1, 0.2, 0.2], [0.5, 0.5, 0.5, 0.5]])
    local_row = np.array([0, 0, 0, 1, 1])
    kcol = np.array([0, 2, 3, 0, 3])
    optional = np.zeros(5, dtype=bool)
    if to_tensor:  # a torch block takes the reference path
        block = torch.from_numpy(block)
    pos = block_positions(block, local_row, kcol, optional)
    assert pos.tolist() == [3, 1, 2, 0, 3]
    # Without column 1 every later column moves up by one.
    pos = block_positions(
        block,
        local_row,
        np.array([0, 1, 2, 0, 2]),
        optional,
        keep_cols=np.array([0, 2, 3]))
    assert pos.tolist() == [2, 0, 1, 0, 2]


def test_optional_items_after_the_last_required_one():
    # g0 is optional and ranked after the only required item g1: either
    # its position (2) or the number of ranked columns (3) is allowed.
    block = np.array([[0.9, 0.1, 0.5]])
    pos = block_positions(block, np.array([0, 0]), np.array([0, 1]),
                          np.array([True, False]))
    assert pos[1] == 0 and pos[0] in (2, 3)
    with reference_path():
        pos = block_positions(block, np.array([0, 0]), np.array([0, 1]),
                              np.array([True, False]))
    assert pos.tolist() == [2, 0]


def test_pair_positions_skips_junk_columns_and_blocks():
    distmat = np.array([[0.4, 0.1, 0.3, 0.2], [0.1, 0.2, 0.3, 0.4],
                        [0.4, 0.3, 0.2, 0.1]])
    g_is_junk = np.array([False, True, False, False])
    pair_q, pair_g = np.array([0, 0, 2]), np.array([0, 3, 2])
    for chunk_size in (None, 1, 2):
        pos = pair_positions(
            MatrixRows(distmat),
            g_is_junk,
            pair_q,
            pair_g,
            chunk_size=chunk_size)
        # Query 0 ranks g3, g2, g0 (g1 is junk); query 2 ranks g3, g2, g0.
        assert pos.tolist() == [2, 0, 1]
    assert len(
        pair_positions(MatrixRows(distmat), g_is_junk, pair_q[:0],
                       pair_g[:0])) == 0
