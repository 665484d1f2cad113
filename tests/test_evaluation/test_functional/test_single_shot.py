import numpy as np
import pytest

from mmreid_instruct.evaluation.functional.rank_protocol import RankProtocol
from mmreid_instruct.evaluation.functional.single_shot import (
    evaluate_single_gallery_shot, evaluate_single_gallery_shot_from_features,
    sample_single_shot)


def test_sample_single_shot_one_per_identity_and_camera():
    pids = np.array([1, 1, 1, 2, 2, 3])
    cams = np.array([0, 0, 1, 0, 0, 0])
    picks = [tuple(sample_single_shot(pids, cams, seed=s)) for s in range(20)]
    for p in picks:
        assert sorted({(pids[i], cams[i]) for i in p}) == \
            [(1, 0), (1, 1), (2, 0), (3, 0)]
        assert len(p) == 4
    assert picks[0] == tuple(sample_single_shot(pids, cams, seed=0))
    assert len(set(picks)) > 1  # seeds give different draws
    assert len(sample_single_shot(pids, seed=3)) == 3  # per identity only


def test_cuhk03_classic_hand_worked():
    # Query pid 1, camera 0. g0 is junk (same camera); its own identity is
    # drawn from g1 (d=0.5) or g2 (d=3); pid 2 from g3 / g4 (d=1, 2); g5
    # (pid 3, d=0.1) always ranks first. Own = g1 -> rank 2, g2 -> rank 3.
    distmat = np.array([[0.0, 0.5, 3.0, 1.0, 2.0, 0.1]])
    g_pids, g_cams = [1, 1, 1, 2, 2, 3], [0, 1, 1, 1, 1, 1]
    res = evaluate_single_gallery_shot(
        distmat, [1],
        g_pids, [0],
        g_cams,
        protocol=RankProtocol(max_rank=4),
        num_repeats=10)
    g1_drawn = np.mean([
        np.random.default_rng(s).random(6)[1]
        < np.random.default_rng(s).random(6)[2] for s in range(10)
    ])
    assert 0 < g1_drawn < 1
    np.testing.assert_allclose(res['cmc'], [0, g1_drawn, 1, 1])
    assert res['num_valid_queries'] == 1


def test_single_shot_features_equal_distmat():
    rng = np.random.default_rng(0)
    q, g = rng.normal(size=(6, 4)), rng.normal(size=(30, 4))
    labels = ([0, 1, 2, 3, 4,
               9], rng.integers(0, 6, 30), [0] * 6, rng.integers(0, 2, 30))
    protocol = RankProtocol(max_rank=5)
    a = evaluate_single_gallery_shot_from_features(
        q, g, *labels, protocol=protocol)
    b = evaluate_single_gallery_shot(
        ((q[:, None] - g[None])**2).sum(-1), *labels, protocol=protocol)
    np.testing.assert_allclose(a['cmc'], b['cmc'])
    assert a['num_valid_queries'] == b['num_valid_queries'] == 5


@pytest.mark.parametrize(
    'options',
    [dict(clothes_mode='cc'),
     dict(match_clothes=True),
     dict(ap_topk=5)])
def test_single_shot_rejects_clothes_options(options):
    with pytest.raises(ValueError, match='does not support'):
        evaluate_single_gallery_shot_from_features(
            np.zeros((1, 2)),
            np.zeros((1, 2)), [1], [1], [0], [1],
            protocol=RankProtocol(**options))


def test_single_shot_bad_repeats_and_no_cameras():
    with pytest.raises(ValueError, match='num_repeats must be a positive'):
        evaluate_single_gallery_shot(
            np.zeros((1, 2)), [1], [1, 2], [0], [1, 1], num_repeats=0)
    # Without the camera rule the same-camera g0 is the query's match.
    res = evaluate_single_gallery_shot(
        np.array([[0.1, 0.2]]), [1], [1, 2],
        protocol=RankProtocol(max_rank=1, use_camera=False))
    assert res['cmc'].tolist() == [1.0]
