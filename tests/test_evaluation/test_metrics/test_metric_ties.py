"""ReIDMetric with tied distances: the ``ties`` protocol field and the
warning naming the test set."""
import pytest

from mmreid_instruct.evaluation.functional import rank as rank_module
from mmreid_instruct.evaluation.metrics.reid_metric import ReIDMetric
from .test_reid_metric import make_sample, run_metric


def collapsed_samples():
    """A collapsed model: 2 queries, a gallery sorted by pid (2 x 3 items),
    every feature equal."""
    query = [make_sample([1., 1.], pid, 0, 'query', pid) for pid in (0, 1)]
    gallery = [
        make_sample([1., 1.], i // 3, 1, 'gallery', 10 + i) for i in range(6)
    ]
    return query + gallery


def test_metric_warns_once_per_set_and_takes_ties(monkeypatch):
    logged = []
    monkeypatch.setattr(rank_module, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    index = run_metric(ReIDMetric(), collapsed_samples())
    assert len(logged) == 1
    assert logged[0].startswith('toy/trad: 2 of 2 queries (100.0%)')
    expected = run_metric(
        ReIDMetric(protocol=dict(ties='expected')), collapsed_samples())
    # 3 matches among 6 tied items: E[CMC@1] = 1/2 for both queries.
    assert expected['trad/R1'] == pytest.approx(50.0)
    # Random ranking, 3 matches among N = 6: E[AP] = (H_6 + 2 (6 - H_6) / 5)
    # / 6 (McSherry and Najork), 64.5 %.
    harmonic = sum(1 / k for k in range(1, 7))
    assert expected['trad/mAP'] == pytest.approx(
        100 * (harmonic + 2 * (6 - harmonic) / 5) / 6)
    # By index, pid 0 (listed first) is ranked perfectly, pid 1 last:
    # AP = 1 and (1/4 + 2/5 + 3/6) / 3.
    assert index['trad/R1'] == 50.0
    assert index['trad/mAP'] == pytest.approx(
        100 * (1 + (1 / 4 + 2 / 5 + 3 / 6) / 3) / 2)
