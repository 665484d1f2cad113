"""Property tests: the fast evaluator against a simple per-query loop."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmreid_instruct.evaluation.functional import rank_positions
from mmreid_instruct.evaluation.functional.rank import evaluate_rank
from ..reference import reference_evaluate


@st.composite
def cases(draw):
    num_q = draw(st.integers(1, 6))
    num_g = draw(st.integers(1, 40))
    num_ids = draw(st.integers(1, 5))
    # Few distinct values so that ties are common.
    levels = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    dtype = draw(
        st.sampled_from([np.float32, np.float64, np.float16, np.int64]))
    distmat = rng.integers(0, levels, (num_q, num_g)).astype(dtype)
    if dtype != np.int64 and draw(st.booleans()):
        distmat = distmat - levels / 2  # negative values and -0.0 / 0.0
        distmat[distmat == 0] = -0.0 if draw(st.booleans()) else 0.0
    labels = dict(
        q_pids=rng.integers(-1, num_ids, num_q),
        g_pids=rng.integers(-1, num_ids, num_g),
        q_camids=rng.integers(0, 3, num_q),
        g_camids=rng.integers(0, 3, num_g),
        q_clothes_ids=rng.integers(0, 3, num_q),
        g_clothes_ids=rng.integers(0, 3, num_g))
    options = draw(
        st.sampled_from([{}, {
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
            'no_camera': True
        }, {
            'ap_topk': draw(st.integers(1, 45))
        }]))
    if options.pop('no_camera', False):
        labels['q_camids'] = labels['g_camids'] = None
    options['max_rank'] = draw(st.integers(1, 50))
    return distmat, labels, options


def check_against_reference(distmat, labels, options, chunk_size=None):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        res = evaluate_rank(
            distmat,
            labels['q_pids'],
            labels['g_pids'],
            labels['q_camids'],
            labels['g_camids'],
            q_clothes_ids=labels['q_clothes_ids'],
            g_clothes_ids=labels['g_clothes_ids'],
            chunk_size=chunk_size,
            **options)
    ref = reference_evaluate(
        distmat,
        labels['q_pids'],
        labels['g_pids'],
        labels['q_camids'],
        labels['g_camids'],
        q_clothes_ids=labels['q_clothes_ids'],
        g_clothes_ids=labels['g_clothes_ids'],
        **options)
    assert res['num_valid_queries'] == ref['num_valid_queries']
    assert len(res['cmc']) == options['max_rank']
    np.testing.assert_allclose(res['cmc'], ref['cmc'], atol=1e-12)
    assert res['mAP'] == pytest.approx(ref['mAP'], abs=1e-12)
    assert res['mINP'] == pytest.approx(ref['mINP'], abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(cases(), st.sampled_from([None, 1, 2]))
def test_matches_reference(case, chunk_size):
    check_against_reference(*case, chunk_size=chunk_size)


@pytest.mark.parametrize('fraction', [0.0, 2.0])
@settings(max_examples=60, deadline=None)
@given(case=cases())
def test_both_position_paths_match_reference(fraction, case):
    # 0 sends every row to the sort path, 2 every float row to the prefix.
    with pytest.MonkeyPatch.context() as m:
        m.setattr(rank_positions, '_PREFIX_FRACTION', fraction)
        m.setattr(rank_positions, '_TIE_SCAN_LIMIT', 2)
        check_against_reference(*case)
