"""The helpers shared by the functional rank metrics (functional/utils.py)
and the protocol's rules (rank_protocol.py)."""
import numpy as np
import pytest
import torch

from mmreid_instruct.evaluation.functional import RankProtocol, rank_protocol
from mmreid_instruct.evaluation.functional.rank_protocol import MatchRules
from mmreid_instruct.evaluation.functional.utils import (FeatureRows,
                                                         MatrixRows,
                                                         block_rows,
                                                         check_no_nan,
                                                         check_positive_int)


def test_check_positive_int():
    assert check_positive_int(np.int32(4), 'x') == 4
    assert check_positive_int(None, 'x', optional=True) is None
    for bad in (0, -1, 1.5, True, None):
        with pytest.raises(ValueError, match='x must be a positive integer'):
            check_positive_int(bad, 'x')
    with pytest.raises(ValueError, match='y must be None or a positive'):
        check_positive_int(0, 'y', optional=True)


@pytest.mark.parametrize('to_tensor', [False, True])
def test_check_no_nan_names_the_first_bad_row(to_tensor):
    values = np.array([[0., 1.], [np.inf, 0.], [0., np.nan]])
    if to_tensor:
        values = torch.from_numpy(values)
    with pytest.raises(ValueError, match=r'd contains NaN \(first in row 2'):
        check_no_nan(values, 'd')
    with pytest.raises(ValueError, match='infinite values .first in row 1'):
        check_no_nan(values[:2], 'f', allow_inf=False)
    check_no_nan(values[:2], 'd')
    check_no_nan(values[:0], 'd', allow_inf=False)


def test_block_rows():
    assert block_rows(100, 4, chunk_size=3) == 3
    assert block_rows(100, 4, budget=1000) == 2
    assert block_rows(10**9, 8, budget=1) == 1
    with pytest.raises(ValueError, match='chunk_size'):
        block_rows(100, 4, chunk_size=0)


def test_row_sources_give_the_same_blocks():
    rng = np.random.default_rng(0)
    q, g = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    by_features = FeatureRows(q, g, 'cosine')
    by_matrix = MatrixRows(by_features.get(np.arange(5)))
    rows = np.array([0, 2, 3, 4])
    for chunk_size in (1, 3):
        got = list(by_features.blocks(rows, chunk_size))
        assert [
            ids.tolist() for ids, _ in got
        ] == ([[0], [2], [3], [4]] if chunk_size == 1 else [[0, 2, 3], [4]])
        for ids, block in got:
            np.testing.assert_array_equal(block, by_matrix.get(ids))
    (ids, block), = MatrixRows(torch.ones(2, 3)).numpy_blocks(np.arange(2))
    assert isinstance(block, np.ndarray) and block.shape == (2, 3)
    with pytest.raises(TypeError, match='distmat must hold real numbers'):
        MatrixRows(np.zeros((1, 2), dtype=bool))


def test_to_label_array():
    labels = rank_protocol.to_label_array(torch.tensor([1, 2]), 'p', 2, 'q')
    assert labels.tolist() == [1, 2] and labels.dtype == np.int64
    with pytest.raises(ValueError, match='p has 1 entries but there are 2 q'):
        rank_protocol.to_label_array([1], 'p', 2, 'q')
    with pytest.raises(TypeError, match='p must hold integers'):
        rank_protocol.to_label_array([True, False], 'p', 2, 'q')


def test_match_rules_classify_and_pairs():
    # Query pid 1, camera 0, clothes 5. g0: same camera (junk); g1: match;
    # g2: other pid; g3: junk pid; g4: same pid, same clothes.
    args = ([1], [1, 1, 2, -1, 1], [0], [0, 1, 1, 1, 2], [5], [5, 6, 5, 5, 5])
    rules = MatchRules(RankProtocol(), (1, 5), *args)
    pair_q, pair_g = rules.same_pid_pairs()
    assert pair_q.tolist() == [0, 0, 0] and pair_g.tolist() == [0, 1, 4]
    is_match, is_junk = rules.classify(np.zeros(5, int), np.arange(5))
    assert is_match.tolist() == [False, True, False, False, True]
    assert is_junk.tolist() == [True, False, False, True, False]
    cc = MatchRules(RankProtocol(clothes_mode='cc'), (1, 5), *args)
    is_match, _ = cc.classify(np.zeros(5, int), np.arange(5))
    assert is_match.tolist() == [False, True, False, False, False]
    match = MatchRules(RankProtocol(match_clothes=True), (1, 5), *args)
    is_match, is_junk = match.classify(np.zeros(5, int), np.arange(5))
    assert is_match.tolist() == [False, False, False, False, True]
    assert is_junk.tolist() == [True, False, False, True, False]
    with pytest.raises(TypeError, match='protocol must be a RankProtocol'):
        MatchRules(dict(), (1, 5), *args)
