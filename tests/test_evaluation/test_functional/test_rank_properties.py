"""Property tests: both ranking paths against a simple per-query loop."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmreid_instruct.evaluation.functional.rank import evaluate_rank
from mmreid_instruct.evaluation.functional.rank_protocol import RankProtocol
from ..paths import (PROTOCOL_OPTIONS, evaluate_both, reference_path,
                     tiny_kernel_limits)
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
    options = dict(
        draw(
            st.sampled_from(PROTOCOL_OPTIONS +
                            ({
                                'ap_topk': draw(st.integers(1, 45))
                            }, ))))
    options['max_rank'] = draw(st.integers(1, 50))
    return distmat, labels, options


def check_against_reference(distmat, labels, options, chunk_size=None):
    """``evaluate_rank`` (on the current path) equals the per-query loop."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        res = evaluate_rank(
            distmat,
            *labels.values(),
            protocol=RankProtocol(**options),
            chunk_size=chunk_size)
    ref = reference_evaluate(distmat, *labels.values(), **options)
    assert res['num_valid_queries'] == ref['num_valid_queries']
    assert len(res['cmc']) == options['max_rank']
    np.testing.assert_allclose(res['cmc'], ref['cmc'], atol=1e-12)
    assert res['mAP'] == pytest.approx(ref['mAP'], abs=1e-12)
    assert res['mINP'] == pytest.approx(ref['mINP'], abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(cases(), st.sampled_from([None, 1, 2]))
def test_matches_reference(case, chunk_size):
    check_against_reference(*case, chunk_size=chunk_size)


@pytest.mark.parametrize('path', [tiny_kernel_limits, reference_path])
@settings(max_examples=60, deadline=None)
@given(case=cases(), chunk_size=st.sampled_from([None, 1, 2]))
def test_each_path_matches_reference(path, case, chunk_size):
    # tiny_kernel_limits splits rows into segments of one or two columns
    # and argsorts the rows with 3+ wanted items.
    with path():
        check_against_reference(*case, chunk_size=chunk_size)


@pytest.mark.parametrize('limits', [False, True])
@settings(max_examples=100, deadline=None)
@given(case=cases(), chunk_size=st.sampled_from([None, 1, 2]))
def test_fast_path_equals_reference_path(limits, case, chunk_size):
    distmat, labels, options = case
    if limits:
        with tiny_kernel_limits():
            evaluate_both(
                distmat, *labels.values(), chunk_size=chunk_size, **options)
    else:
        evaluate_both(
            distmat, *labels.values(), chunk_size=chunk_size, **options)
