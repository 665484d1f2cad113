"""The 'official' protocol preset: the official Instruct-ReID evaluator,
checked against its rules written out as a plain per-query loop."""
import numpy as np
import pytest

from mmreid_instruct.evaluation import RankProtocol, evaluate_rank
from mmreid_instruct.evaluation.metrics.reid_metric import ReIDMetric
from mmreid_instruct.evaluation.metrics.vi_reid_metric import VIReIDMetric
from .test_reid_metric import make_sample, run_metric


def official_loop(distmat,
                  q_pids,
                  g_pids,
                  q_cams,
                  g_cams,
                  max_rank=50,
                  window=500):
    """The official evaluator's rules: rank the whole gallery, keep its
    first ``window`` items, drop those of the query's pid and camera, and
    score what is left; AP divides by the matches inside the window. A
    query counts when the whole gallery (junk dropped) holds a match."""
    cmcs, aps = [], []
    for i in range(len(q_pids)):
        order = np.argsort(distmat[i], kind='stable')
        same_pid = [g_pids[j] == q_pids[i] for j in order]
        dropped = [
            g_pids[j] == q_pids[i] and g_cams[j] == q_cams[i] for j in order
        ]
        if not any(m and not d for m, d in zip(same_pid, dropped)):
            continue
        kept = [
            m for m, d in zip(same_pid[:window], dropped[:window]) if not d
        ]
        hits, precision_sum, first = 0, 0.0, None
        for rank, is_match in enumerate(kept):
            if is_match:
                hits += 1
                precision_sum += hits / (rank + 1)
                first = rank if first is None else first
        cmc = np.zeros(max_rank)
        if first is not None and first < max_rank:
            cmc[first:] = 1
        cmcs.append(cmc)
        aps.append(precision_sum / max(1, hits))
    return np.mean(cmcs, 0), float(np.mean(aps)), len(aps)


def random_case(seed, num_q=40, num_g=1300):
    rng = np.random.default_rng(seed)
    g_pids = rng.integers(0, 25, num_g)
    g_pids[rng.random(num_g) < 0.1] = -1  # distractors: negatives here
    g_cams = rng.integers(0, 4, num_g)
    q_pids = rng.integers(0, 25, num_q)
    q_pids[:2] = -1  # pid -1 queries match pid -1 gallery items
    q_cams = rng.integers(0, 4, num_q)
    # A person seen once, far down the ranking: valid, no match in the
    # window (AP 0, a miss at every rank).
    q_pids[2], g_pids[0], g_cams[0], q_cams[2] = 99, 99, 0, 1
    # A person seen once by the query's camera: not a valid query.
    q_pids[3], g_pids[1], g_cams[1], q_cams[3] = 98, 98, 2, 2
    distmat = rng.random((num_q, num_g)).astype(np.float32)
    distmat[2, 0] = 2.0
    # Same-pid same-camera items near the top shorten the window.
    for i in range(num_q):
        junk = np.flatnonzero((g_pids == q_pids[i]) & (g_cams == q_cams[i]))
        distmat[i, junk[:5]] *= 0.01
    return distmat, q_pids, g_pids, q_cams, g_cams


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_equals_the_official_rules(seed):
    distmat, q_pids, g_pids, q_cams, g_cams = random_case(seed)
    cmc, m_ap, num_valid = official_loop(distmat, q_pids, g_pids, q_cams,
                                         g_cams)
    res = evaluate_rank(
        distmat,
        q_pids,
        g_pids,
        q_cams,
        g_cams,
        protocol=RankProtocol.preset('official'))
    assert res['num_valid_queries'] == num_valid == len(q_pids) - 1
    assert np.allclose(res['cmc'], cmc)
    assert res['mAP'] == pytest.approx(m_ap, abs=1e-12)
    # The window matters here: the full-ranking AP differs.
    full = evaluate_rank(
        distmat,
        q_pids,
        g_pids,
        q_cams,
        g_cams,
        protocol=RankProtocol(junk_pids=()))
    assert abs(full['mAP'] - m_ap) > 1e-3


def test_metric_from_features_equals_the_loop():
    rng = np.random.default_rng(3)
    q, g = rng.normal(size=(30, 8)), rng.normal(size=(700, 8))
    q_pids, g_pids = rng.integers(-1, 20, 30), rng.integers(-1, 20, 700)
    q_cams, g_cams = rng.integers(0, 3, 30), rng.integers(0, 3, 700)
    distmat = ((q[:, None] - g[None])**2).sum(-1)  # squared Euclidean
    cmc, m_ap, num_valid = official_loop(distmat, q_pids, g_pids, q_cams,
                                         g_cams)
    res = ReIDMetric.calculate(
        q,
        g,
        q_pids,
        g_pids,
        q_cams,
        g_cams,
        protocol='official',
        topk=(1, 5, 10))
    assert res['num_valid_queries'] == num_valid
    assert res['mAP'] == pytest.approx(100 * m_ap)
    for k in (1, 5, 10):
        assert res[f'R{k}'] == pytest.approx(100 * cmc[k - 1])


def test_pid_only_matching_for_every_task():
    """ctcc and li test sets: a same-pid item in other clothes is a true
    match (the standard protocol makes it a negative); cc: same-clothes
    items stay (the cc protocol drops them)."""
    feats = [[0., 0.], [1., 0.], [0., 2.]]
    for task, standard in (('ctcc', {}), ('li', {}),
                           ('cc', dict(clothes_mode='cc'))):
        samples = [
            make_sample(feats[0], 1, 0, 'query', 0, task, clothes=7),
            # Same person, other clothes; then same person, same clothes.
            make_sample(feats[1], 1, 1, 'gallery', 0, task, clothes=8),
            make_sample(feats[2], 1, 1, 'gallery', 1, task, clothes=7),
        ]
        official = run_metric(
            ReIDMetric(protocol='official', topk=(1, )), samples)
        assert official[f'{task}/R1'] == 100.0
        assert official[f'{task}/mAP'] == 100.0
        ours = run_metric(ReIDMetric(protocol=standard, topk=(1, )), samples)
        assert ours[f'{task}/R1'] == (0.0 if task != 'cc' else 100.0)
        assert ours[f'{task}/mAP'] == (50.0 if task != 'cc' else 100.0)


def test_preset_overrides_and_errors():
    assert RankProtocol.preset('official', max_rank=10).max_rank == 10
    with pytest.raises(ValueError, match="preset 'paper'.*'official'"):
        RankProtocol.preset('paper')
    with pytest.raises(ValueError, match='paper'):
        ReIDMetric(protocol='paper')
    # The single-shot visible-infrared protocol has no window.
    with pytest.raises(ValueError, match='ap_topk'):
        VIReIDMetric(protocol='official')
