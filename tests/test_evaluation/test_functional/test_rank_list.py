import numpy as np
import pytest

from mmreid_instruct.evaluation.functional.distance import pairwise_distance
from mmreid_instruct.evaluation.functional.rank_list import (
    rank_list, rank_list_from_features)
from mmreid_instruct.evaluation.functional.utils import stable_topk


def test_rank_list_orders_by_distance_then_index():
    distmat = np.array([[0.3, 0.1, 0.2, 0.1], [0.0, 0.0, 0.0, 0.0]])
    idx, dist = rank_list(distmat, topk=3)
    assert idx.tolist() == [[1, 3, 2], [0, 1, 2]]
    assert dist.tolist() == [[0.1, 0.1, 0.2], [0.0, 0.0, 0.0]]


def test_rank_list_topk_capped_at_gallery_and_chunked():
    rng = np.random.default_rng(0)
    q, g = rng.normal(size=(9, 5)), rng.normal(size=(4, 5))
    idx, _ = rank_list_from_features(q, g, topk=10, chunk_size=2)
    assert idx.shape == (9, 4)
    expected = np.argsort(pairwise_distance(q, g), axis=1, kind='stable')
    np.testing.assert_array_equal(idx, expected)


def test_stable_topk_with_many_ties_at_the_cut():
    block = np.array([[1., 0., 0., 0., 0.]])
    r, c = stable_topk(block, 2)
    assert r.tolist() == [0, 0] and c.tolist() == [1, 2]


def test_rank_list_bad_topk():
    with pytest.raises(ValueError, match='topk'):
        rank_list(np.zeros((1, 2)), topk=0)
