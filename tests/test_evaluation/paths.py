"""The two ranking paths of the functional evaluator, for tests: the fast
counting kernel (the default on numpy rows) and the stable-argsort
reference path, forced here on numpy rows too."""
import contextlib
import warnings

import numpy as np
import pytest

from mmreid_instruct.evaluation.functional import rank_positions
from mmreid_instruct.evaluation.functional.rank import evaluate_rank
from mmreid_instruct.evaluation.functional.rank_protocol import RankProtocol

#: Protocol options every ranking test covers (RankProtocol fields).
PROTOCOL_OPTIONS = ({}, {
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
    'use_camera': False
})


@contextlib.contextmanager
def reference_path():
    """Rank every block with the stable argsort (no counting kernel)."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(rank_positions, 'counting_dtype', lambda dtype: None)
        yield


@contextlib.contextmanager
def tiny_kernel_limits():
    """The counting kernel with segments of one or two columns, and rows
    of 3 or more wanted items ranked by the stable argsort instead."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(rank_positions, '_SEGMENT_BYTES', 8)
        m.setattr(rank_positions, '_SORT_ABOVE', 2)
        yield


def evaluate_both(distmat, *labels, chunk_size=None, **options):
    """``evaluate_rank`` on the fast and on the reference path, checked to
    be identical; ``options`` are the fields of RankProtocol."""
    protocol = RankProtocol(**options)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        fast = evaluate_rank(
            distmat, *labels, protocol=protocol, chunk_size=chunk_size)
        with reference_path():
            expected = evaluate_rank(
                distmat, *labels, protocol=protocol, chunk_size=chunk_size)
    assert_same_result(fast, expected)
    return expected


def assert_same_result(got: dict, expected: dict) -> None:
    """Identical CMC, mAP, mINP and number of valid queries."""
    assert got.keys() == expected.keys()
    np.testing.assert_array_equal(got['cmc'], expected['cmc'])
    for key in ('mAP', 'mINP', 'num_valid_queries'):
        assert got[key] == expected[key], key
