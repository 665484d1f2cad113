import numpy as np
import pytest
import torch

from mmreid_instruct.evaluation.functional.distance import pairwise_distance
from mmreid_instruct.evaluation.functional.rank import (
    evaluate_rank, evaluate_rank_from_features)
from mmreid_instruct.evaluation.functional.rank_protocol import RankProtocol
from ..reference import reference_evaluate


def _example():
    # Query 0 (pid 1, camera 0), ranked gallery: g3 (pid -1, junk), g0
    # (pid 1, same camera, junk), g1 (neg), g2 (match), g5 (neg), g4 (match).
    # Query 1 (pid 4) has no match and is skipped.
    distmat = np.array(
        [[0.1, 0.2, 0.3, 0.05, 0.5, 0.4], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]],
        dtype=np.float32)
    q_pids, q_cams = np.array([1, 4]), np.array([0, 0])
    g_pids = np.array([1, 2, 1, -1, 1, 3])
    g_cams = np.array([0, 1, 1, 1, 2, 0])
    return distmat, q_pids, g_pids, q_cams, g_cams


def test_hand_worked_market_example():
    res = evaluate_rank(*_example(), protocol=RankProtocol(max_rank=5))
    # Non-junk ranking g1, g2, g5, g4: matches at ranks 2 and 4.
    assert res['num_valid_queries'] == 1
    assert res['cmc'].tolist() == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert res['mAP'] == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert res['mINP'] == pytest.approx(2 / 4)


def test_junk_pids_empty_keeps_distractors_as_negatives():
    res = evaluate_rank(
        *_example(), protocol=RankProtocol(max_rank=5, junk_pids=()))
    # g3 now ranks first as a negative: matches at ranks 3 and 5.
    assert res['mAP'] == pytest.approx((1 / 3 + 2 / 5) / 2)
    assert res['cmc'][:3].tolist() == [0.0, 0.0, 1.0]


def test_ties_are_broken_by_gallery_index():
    distmat = np.array([[0.2, 0.2, 0.2, 0.2]])
    res = evaluate_rank(
        distmat, [1], [2, 1, 2, 1], [0], [1, 1, 1, 1],
        protocol=RankProtocol(max_rank=4))
    # Order g0, g1, g2, g3: matches at ranks 2 and 4.
    assert res['mAP'] == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert res['cmc'].tolist() == [0.0, 1.0, 1.0, 1.0]


def test_clothes_modes_hand_worked():
    distmat = np.array([[0.1, 0.2, 0.3, 0.4]])
    g_pids, g_cams, g_clothes = [1, 2, 1, 1], [1, 1, 1, 1], [5, 0, 6, 5]
    args = (distmat, [1], g_pids, [0], g_cams, [5], g_clothes)
    general = evaluate_rank(*args, protocol=RankProtocol(max_rank=3))
    cc = evaluate_rank(
        *args, protocol=RankProtocol(max_rank=3, clothes_mode='cc'))
    sc = evaluate_rank(
        *args, protocol=RankProtocol(max_rank=3, clothes_mode='sc'))
    # general: matches g0, g2, g3 at ranks 1, 3, 4.
    assert general['mAP'] == pytest.approx((1 + 2 / 3 + 3 / 4) / 3)
    # cc: g0 and g3 (same clothes) are junk; ranking g1, g2: match at 2.
    assert cc['mAP'] == pytest.approx(1 / 2)
    assert cc['cmc'].tolist() == [0.0, 1.0, 1.0]
    # sc: g2 (other clothes) is junk; ranking g0, g1, g3: matches 1 and 3.
    assert sc['mAP'] == pytest.approx((1 + 2 / 3) / 2)
    assert sc['mINP'] == pytest.approx(2 / 3)


def test_match_clothes_makes_other_outfits_negatives():
    distmat = np.array([[0.1, 0.2, 0.3, 0.4]])
    res = evaluate_rank(
        distmat, [1], [1, 2, 1, 1], [0], [1, 1, 1, 0],
        q_clothes_ids=[5],
        g_clothes_ids=[6, 0, 5, 5],
        protocol=RankProtocol(match_clothes=True, max_rank=3))
    # g0 (same pid, other clothes) is a negative; g3 (same pid, clothes
    # and camera) is junk; the only match g2 ranks 3rd.
    assert res['mAP'] == pytest.approx(1 / 3)
    assert res['cmc'].tolist() == [0.0, 0.0, 1.0]


def test_ap_topk_window_hand_worked():

    def window(ap_topk):
        return evaluate_rank(
            *_example(), protocol=RankProtocol(max_rank=5, ap_topk=ap_topk))

    res = window(4)
    # Raw first 4: g3 (junk), g0 (junk), g1, g2 -> window g1, g2: one
    # match at rank 2 -> AP 1/2; g4 is outside the window.
    assert res['mAP'] == pytest.approx(1 / 2)
    assert res['num_valid_queries'] == 1
    res = window(2)
    # Window holds only junk: the query still counts, with AP 0.
    assert res['mAP'] == 0.0
    assert res['cmc'].tolist() == [0.0] * 5


def test_max_rank_larger_than_gallery():
    res = evaluate_rank(
        np.array([[0.3, 0.1]]), [1], [1, 2], [0], [1, 1],
        protocol=RankProtocol(max_rank=6))
    assert res['cmc'].tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0]


def test_no_valid_query_warns_and_reports_zero():
    with pytest.warns(UserWarning, match='None of the 1 queries'):
        res = evaluate_rank(np.array([[0.3, 0.1]]), [7], [1, 2], [0], [1, 1])
    assert res['num_valid_queries'] == 0 and res['mAP'] == 0.0


def test_no_camera_filtering_without_use_camera():
    no_cameras = RankProtocol(max_rank=2, use_camera=False)
    res = evaluate_rank(
        np.array([[0.3, 0.1]]), [1], [1, 2], protocol=no_cameras)
    assert res['cmc'].tolist() == [0.0, 1.0]
    # Camera ids given anyway are ignored: g0 is not same-camera junk.
    res = evaluate_rank(
        np.array([[0.3, 0.1]]), [1], [1, 2], [0], [0, 0], protocol=no_cameras)
    assert res['cmc'].tolist() == [0.0, 1.0]


@pytest.mark.parametrize('kwargs, match', [
    (dict(distmat=np.zeros((2, 3, 1))), '2-D'),
    (dict(distmat=np.zeros((0, 3))), 'query set is empty'),
    (dict(distmat=np.zeros((2, 0))), 'gallery is empty'),
    (dict(q_pids=[1, 2, 3]), 'q_pids has 3 entries'),
    (dict(g_camids=[0, 0]), 'g_camids has 2 entries'),
    (dict(distmat=np.array([[0., np.nan, 1.], [0., 1., 2.]])), 'NaN'),
    (dict(clothes_mode='cc'), 'needs q_clothes_ids'),
    (dict(q_camids=None), 'needs q_camids and g_camids'),
    (dict(chunk_size=0), 'chunk_size must be None or a positive'),
])
def test_bad_input_errors(kwargs, match):
    args = dict(
        distmat=np.zeros((2, 3)),
        q_pids=[1, 2],
        g_pids=[1, 2, 3],
        q_camids=[0, 0],
        g_camids=[1, 1, 1])
    chunk_size = kwargs.pop('chunk_size', None)
    protocol = {k: kwargs.pop(k) for k in list(kwargs) if k not in args}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        evaluate_rank(
            args.pop('distmat'),
            *args.values(),
            protocol=RankProtocol(**protocol),
            chunk_size=chunk_size)


@pytest.mark.parametrize('options, match', [
    (dict(clothes_mode='xx'), 'clothes_mode must be'),
    (dict(max_rank=0), 'max_rank must be a positive integer'),
    (dict(max_rank=True), 'max_rank'),
    (dict(ap_topk=0), 'ap_topk must be None or a positive integer'),
    (dict(clothes_mode='cc', match_clothes=True), 'cannot be combined'),
])
def test_bad_protocol_errors(options, match):
    with pytest.raises(ValueError, match=match):
        RankProtocol(**options)


@pytest.mark.parametrize('options, match', [
    (dict(junk_pids=['a']), 'junk_pids must be a sequence of integers'),
    (dict(use_camera=None), 'use_camera must be True or False'),
    (dict(match_clothes='yes'), 'match_clothes must be True or False'),
])
def test_bad_protocol_types(options, match):
    with pytest.raises(TypeError, match=match):
        RankProtocol(**options)


def test_protocol_is_frozen_and_normalised():
    protocol = RankProtocol(junk_pids=[np.int64(0), -1], max_rank=np.int8(5))
    assert protocol.junk_pids == (0, -1) and type(protocol.max_rank) is int
    assert RankProtocol(match_clothes=np.bool_(True)).match_clothes is True
    assert RankProtocol().uses_clothes is False
    assert RankProtocol(clothes_mode='sc').uses_clothes is True
    with pytest.raises(AttributeError):
        protocol.max_rank = 3
    with pytest.raises(ValueError, match=r"X does not support \{'ap_topk'"):
        RankProtocol(ap_topk=5).reject(['clothes_mode', 'ap_topk'], 'X')
    RankProtocol(ap_topk=5).reject(['clothes_mode'], 'X')


def test_float_pids_rejected():
    with pytest.raises(TypeError, match='q_pids must hold integers'):
        evaluate_rank(np.zeros((1, 2)), [1.5], [1, 2], None, None)


def _random_case(seed, num_q=40, num_g=300, num_ids=25):
    rng = np.random.default_rng(seed)
    q_feats = rng.integers(-3, 4, (num_q, 8)).astype(np.float32)
    g_feats = rng.integers(-3, 4, (num_g, 8)).astype(np.float32)
    labels = (rng.integers(-1, num_ids,
                           num_q), rng.integers(-1, num_ids, num_g),
              rng.integers(0, 4, num_q), rng.integers(0, 4, num_g))
    return q_feats, g_feats, labels


@pytest.mark.parametrize('metric', ['euclidean', 'cosine'])
def test_features_chunked_equal_full_matrix(metric):
    q_feats, g_feats, labels = _random_case(0)
    full = evaluate_rank(pairwise_distance(q_feats, g_feats, metric), *labels)
    ref = reference_evaluate(
        pairwise_distance(q_feats, g_feats, metric), *labels)
    for chunk in (None, 1, 7):
        res = evaluate_rank_from_features(
            q_feats, g_feats, *labels, metric=metric, chunk_size=chunk)
        assert res['num_valid_queries'] == full['num_valid_queries']
        np.testing.assert_array_equal(res['cmc'], full['cmc'])
        assert res['mAP'] == full['mAP'] and res['mINP'] == full['mINP']
    np.testing.assert_allclose(full['cmc'], ref['cmc'])
    assert full['mAP'] == pytest.approx(ref['mAP'], abs=1e-12)


def test_torch_inputs_equal_numpy():
    q_feats, g_feats, labels = _random_case(1)
    distmat = pairwise_distance(q_feats, g_feats)
    window = RankProtocol(ap_topk=50)
    res_np = evaluate_rank(distmat, *labels, protocol=window)
    res_t = evaluate_rank(
        torch.from_numpy(distmat),
        *[torch.from_numpy(x) for x in labels],
        protocol=window)
    np.testing.assert_array_equal(res_np['cmc'], res_t['cmc'])
    assert res_np['mAP'] == res_t['mAP']
    res_f = evaluate_rank_from_features(
        torch.from_numpy(q_feats),
        torch.from_numpy(g_feats),
        *labels,
        protocol=window)
    assert res_f['mAP'] == res_np['mAP']


def test_nan_features_rejected():
    q_feats, g_feats, labels = _random_case(2)
    g_feats[5, 0] = np.inf
    with pytest.raises(ValueError, match='g_feats contains NaN or infinite'):
        evaluate_rank_from_features(q_feats, g_feats, *labels)
