import numpy as np
import pytest
import torch

from mmreid_instruct.evaluation.functional.itm_rerank import (
    ReRankedRows, itm_rerank_rows, itm_topk_scores, reranked_distances)
from mmreid_instruct.evaluation.functional.rank import (evaluate_rank,
                                                        evaluate_source)
from mmreid_instruct.evaluation.functional.rank_protocol import (MatchRules,
                                                                 RankProtocol)
from mmreid_instruct.evaluation.functional.utils import MatrixRows


def expected_order(dist_row, items, scores_row):
    """Items by decreasing score (ties by column), then the other columns
    by distance (ties by column)."""
    top = sorted(items, key=lambda j: (-scores_row[list(items).index(j)], j))
    rest = sorted(
        set(range(len(dist_row))) - set(items), key=lambda j: (dist_row[j], j))
    return top + rest


@pytest.mark.parametrize('offset', [0., -7.5, 1e4])
def test_reranked_distances_sort_into_the_reranked_order(offset):
    rng = np.random.default_rng(0)
    # Rounded distances (ties) and integer scores (ties).
    dist = np.round(rng.uniform(0, 2, size=(20, 15)), 1) + offset
    indices = np.stack([rng.permutation(15)[:6] for _ in range(20)])
    scores = rng.integers(-2, 3, size=(20, 6)).astype(float)
    out = reranked_distances(dist, indices, scores)
    for b in range(20):
        order = np.lexsort((np.arange(15), out[b]))
        assert order.tolist() == expected_order(dist[b], indices[b], scores[b])
        # Untouched items keep their distance; equal scores stay tied.
        rest = np.setdiff1d(np.arange(15), indices[b])
        assert (out[b, rest] == dist[b, rest]).all()
        for i in range(6):
            for j in range(6):
                same = scores[b, i] == scores[b, j]
                assert (out[b, indices[b, i]] == out[b, indices[b, j]]) == same


def test_reranked_distances_with_nothing_or_nan():
    dist = np.array([[0.3, 0.1]])
    empty = np.zeros((1, 0))
    assert reranked_distances(dist, empty.astype(int), empty).tolist() == \
        dist.tolist()
    with pytest.raises(ValueError, match='ITM scores contains NaN'):
        reranked_distances(dist, [[0]], [[np.nan]])
    with pytest.raises(ValueError, match='must both have shape'):
        reranked_distances(dist, [[0, 1]], [[1.]])


def test_reranked_rows_evaluate_like_the_reranked_matrix():
    rng = np.random.default_rng(1)
    dist = rng.uniform(size=(9, 11)).astype(np.float32)
    indices = np.argsort(dist, axis=1, kind='stable')[:, :5]
    scores = rng.normal(size=(9, 5))
    q_pids, g_pids = np.arange(9) % 3, np.arange(11) % 3
    protocol = RankProtocol(use_camera=False, junk_pids=(), max_rank=11)
    rows = ReRankedRows(MatrixRows(dist), indices, scores)
    res = evaluate_source(
        rows, MatchRules(protocol, rows.shape, q_pids, g_pids), chunk_size=2)
    expected = evaluate_rank(
        reranked_distances(dist, indices, scores),
        q_pids,
        g_pids,
        protocol=protocol)
    assert res['mAP'] == pytest.approx(expected['mAP'])
    assert res['cmc'] == pytest.approx(expected['cmc'])
    # And the scores matter.
    plain = evaluate_rank(dist, q_pids, g_pids, protocol=protocol)
    assert plain['mAP'] != pytest.approx(res['mAP'])


def test_reranked_rows_checks_shapes():
    base = MatrixRows(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r'shape \(num_query, k\)'):
        ReRankedRows(base, np.zeros((3, 1), int), np.zeros((3, 1)))
    with pytest.raises(ValueError, match='only 3 gallery items'):
        ReRankedRows(base, np.zeros((2, 4), int), np.zeros((2, 4)))


def _tokens(n, shape, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=g) for _ in range(n)]


def test_itm_topk_scores_scores_the_stable_topk_per_query():
    dist = np.array([[0.5, 0.1, 0.1, 0.9], [0.2, 0.2, 0.2, 0.0]])
    calls = []

    def scorer(text, mask, image):
        calls.append((text.shape, mask.shape, image.shape))
        return image[:, 0, 0] + text[:, 0, 0]

    texts = [torch.full((2, 3), 10. * i) for i in range(2)]
    masks = [torch.ones(2, dtype=torch.bool)] * 2
    images = [torch.full((5, 3), float(j)) for j in range(4)]
    indices, scores = itm_topk_scores(
        MatrixRows(dist), scorer, texts, masks, images, topk=3, batch_size=2)
    assert indices.tolist() == [[1, 2, 0], [3, 0, 1]]
    assert scores.tolist() == [[1., 2., 0.], [13., 10., 11.]]
    # Two calls per query: 2 pairs then 1.
    assert [c[0][0] for c in calls] == [2, 1, 2, 1]
    assert calls[0] == ((2, 2, 3), (2, 2), (2, 5, 3))


def test_itm_topk_scores_checks_its_inputs():
    rows = MatrixRows(np.zeros((2, 3)))
    texts, masks = _tokens(2, (2, 3), 0), [torch.ones(2)] * 2
    images = _tokens(3, (4, 3), 1)
    with pytest.raises(
            ValueError, match='image_tokens has 2 entries; '
            'expected 3'):
        itm_topk_scores(rows, None, texts, masks, images[:2])
    with pytest.raises(ValueError, match='topk must be a positive integer'):
        itm_topk_scores(rows, None, texts, masks, images, topk=0)
    with pytest.raises(ValueError, match='batch_size must be'):
        itm_topk_scores(rows, None, texts, masks, images, batch_size=-1)


def test_itm_rerank_rows_from_torch_features():
    q = torch.tensor([[1., 0.], [0., 1.]])
    g = torch.tensor([[1., 0.], [.9, .1], [0., 1.]])

    def scorer(text, mask, image):  # prefers the last gallery items
        return image[:, 0, 0]

    images = [torch.full((1, 1), float(j)) for j in range(3)]
    rows = itm_rerank_rows(
        q,
        g,
        scorer, [torch.zeros(1, 1)] * 2, [torch.ones(1)] * 2,
        images,
        topk=2,
        batch_size=1)
    order = np.argsort(rows.get(np.arange(2)), axis=1, kind='stable')
    assert order.tolist() == [[1, 0, 2], [2, 1, 0]]
