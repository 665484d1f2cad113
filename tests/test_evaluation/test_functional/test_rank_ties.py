"""Tie-aware rank metrics (``RankProtocol.ties``): the fast and reference
paths against brute force over every order of the tied items, and a
collapsed model, which must score exactly like a random ranking."""
import logging

import numpy as np
import pytest
import torch

from mmreid_instruct.evaluation.functional import rank as rank_module
from mmreid_instruct.evaluation.functional.rank import (
    evaluate_rank, evaluate_rank_from_features)
from mmreid_instruct.evaluation.functional.rank_protocol import RankProtocol
from mmreid_instruct.evaluation.functional.single_shot import \
    evaluate_single_gallery_shot
from ..paths import (PROTOCOL_OPTIONS, assert_same_result, evaluate_both,
                     tiny_kernel_limits)
from ..reference import reference_evaluate

TIES = ('index', 'pessimistic', 'expected')


def _tiny_case(seed, num_q=6, num_g=7, levels=3):
    """Few distance levels over a tiny gallery: many ties, few enough
    orders to enumerate."""
    rng = np.random.default_rng(seed)
    distmat = rng.integers(0, levels, (num_q, num_g)).astype(np.float32)
    labels = (rng.integers(0, 3, num_q), rng.integers(-1, 3, num_g),
              rng.integers(0, 2, num_q), rng.integers(0, 2, num_g),
              rng.integers(0, 2, num_q), rng.integers(0, 2, num_g))
    return distmat, labels


def _assert_close(got, expected):
    assert got['num_valid_queries'] == expected['num_valid_queries']
    np.testing.assert_allclose(got['cmc'], expected['cmc'], atol=1e-12)
    for key in ('mAP', 'mINP'):
        assert got[key] == pytest.approx(expected[key], abs=1e-12), key


@pytest.mark.filterwarnings('ignore:None of the')
@pytest.mark.parametrize('ties', TIES)
@pytest.mark.parametrize('options', PROTOCOL_OPTIONS)
@pytest.mark.parametrize('seed', range(4))
def test_ties_equal_brute_force(ties, options, seed):
    distmat, labels = _tiny_case(seed)
    # Both ranking paths (identical), against every order of every tie
    # group averaged (expected) or the reference order (index, pessimistic).
    got = evaluate_both(distmat, *labels, max_rank=8, ties=ties, **options)
    expected = reference_evaluate(
        distmat, *labels, max_rank=8, ties=ties, **options)
    _assert_close(got, expected)
    with tiny_kernel_limits():
        assert_same_result(
            evaluate_rank(
                distmat,
                *labels,
                protocol=RankProtocol(max_rank=8, ties=ties, **options)), got)


@pytest.mark.parametrize('ties', TIES)
def test_ties_torch_path(ties):
    distmat, labels = _tiny_case(7, num_q=10, num_g=7, levels=2)
    protocol = RankProtocol(max_rank=8, ties=ties)
    assert_same_result(
        evaluate_rank(torch.from_numpy(distmat), *labels, protocol=protocol),
        evaluate_rank(distmat, *labels, protocol=protocol))


@pytest.mark.parametrize('options', PROTOCOL_OPTIONS)
def test_rules_agree_without_ties(options):
    rng = np.random.default_rng(3)
    distmat = rng.random((30, 200))
    labels = (rng.integers(-1, 8, 30), rng.integers(-1, 8, 200),
              rng.integers(0, 3, 30), rng.integers(0, 3, 200),
              rng.integers(0, 3, 30), rng.integers(0, 3, 200))
    index = evaluate_both(distmat, *labels, **options)
    for ties in ('pessimistic', 'expected'):
        assert_same_result(
            evaluate_both(distmat, *labels, ties=ties, **options), index)


def test_ties_between_matches_change_nothing():
    # Two matches tied with each other (and junk), not with a non-match.
    distmat = np.array([[0.5, 0.5, 0.5, 0.1, 0.9]])
    labels = ([1], [1, 1, -1, 2, 2], [0], [1, 1, 1, 1, 1])
    index = evaluate_both(distmat, *labels, max_rank=5)
    for ties in ('pessimistic', 'expected'):
        assert_same_result(
            evaluate_both(distmat, *labels, max_rank=5, ties=ties), index)


def _random_ranking_monte_carlo(num_matches, num_gallery, trials, seed):
    """AP and INP of uniformly random rankings, per trial and query."""
    rng = np.random.default_rng(seed)
    ap, inp = [], []
    for r in num_matches:
        # Ranks (1-based) of the matches: a random r-subset of the gallery.
        ranks = np.sort(
            rng.random((trials, num_gallery)).argsort(1)[:, :r] + 1, axis=1)
        ap.append((np.arange(1, r + 1) / ranks).mean(1))
        inp.append(r / ranks[:, -1])
    return np.stack(ap, 1), np.stack(inp, 1)


def test_collapsed_model_scores_like_random_ranking():
    # A collapsed model: every feature equal, so every distance ties. The
    # gallery is sorted by pid, as datasets list it, and no camera rule.
    num_ids, per_id = 20, 5
    g_pids = np.repeat(np.arange(num_ids), per_id)
    q_pids = np.arange(num_ids)
    q_feats = np.ones((num_ids, 8), np.float32)
    g_feats = np.ones((len(g_pids), 8), np.float32)

    def run(ties):
        return evaluate_rank_from_features(
            q_feats,
            g_feats,
            q_pids,
            g_pids,
            protocol=RankProtocol(max_rank=10, use_camera=False, ties=ties))

    # Monte-Carlo random rankings: per query mean over trials, then mean.
    trials = 4000
    ap, inp = _random_ranking_monte_carlo(
        [per_id] * num_ids, len(g_pids), trials, seed=0)
    mc_map, mc_minp = ap.mean(), inp.mean()
    # 6 standard errors of the Monte-Carlo means.
    tol_ap = 6 * ap.mean(1).std() / np.sqrt(trials)
    tol_inp = 6 * inp.mean(1).std() / np.sqrt(trials)

    index = run('index')
    # Ties broken by gallery index favour the low pids: far above random.
    assert index['mAP'] > mc_map + 20 * tol_ap

    expected = run('expected')
    assert expected['mAP'] == pytest.approx(mc_map, abs=tol_ap)
    assert expected['mINP'] == pytest.approx(mc_minp, abs=tol_inp)
    # CMC at rank k: 1 - C(N - R, k) / C(N, k), in closed form.
    n, r = len(g_pids), per_id
    miss = np.cumprod([(n - r - i) / (n - i) for i in range(10)])
    np.testing.assert_allclose(expected['cmc'], 1 - miss, rtol=1e-12)
    # Pessimistic: every match after every non-match.
    pessimistic = run('pessimistic')
    assert pessimistic['cmc'][-1] == 0
    assert pessimistic['mAP'] < expected['mAP'] < index['mAP']


def test_warning_names_the_set_and_share(monkeypatch):
    logged = []
    monkeypatch.setattr(rank_module, 'print_log',
                        lambda msg, **kw: logged.append((msg, kw)))
    feats = np.ones((4, 3), np.float32)
    protocol = RankProtocol(use_camera=False)
    evaluate_rank_from_features(
        feats,
        feats, [0, 1, 2, 3], [0, 1, 2, 3],
        protocol=protocol,
        name='market1501/trad')
    (msg, kw), = logged
    assert kw['level'] == logging.WARNING
    assert msg.startswith('market1501/trad: 4 of 4 queries (100.0%)')
    assert "ties='index'" in msg
    # No ties, or a share at the threshold (5 of 100 queries): silent.
    logged.clear()
    rng = np.random.default_rng(0)
    distmat = rng.random((100, 50))
    q_pids, g_pids = np.zeros(100, int), np.arange(50) % 2
    evaluate_rank(distmat, q_pids, g_pids, protocol=protocol)
    assert logged == []
    distmat[:5, :2] = 0.0  # a match (column 0) tied with a non-match
    evaluate_rank(distmat, q_pids, g_pids, protocol=protocol)
    assert logged == []
    distmat[5, :2] = 0.0
    evaluate_rank(distmat, q_pids, g_pids, protocol=protocol)
    assert len(logged) == 1 and 'evaluation: 6 of 100 queries' in logged[0][0]
    assert '(6.0%)' in logged[0][0]


def test_ties_option_is_checked():
    with pytest.raises(ValueError, match="ties must be one of"):
        RankProtocol(ties='random')
    with pytest.raises(ValueError, match="ap_topk .* needs ties='index'"):
        RankProtocol(ap_topk=10, ties='expected')
    with pytest.raises(ValueError, match='does not support'):
        evaluate_single_gallery_shot(
            np.zeros((1, 2)), [0], [0, 1], [0], [1, 1],
            protocol=RankProtocol(ties='expected'))
