"""Re-ranking of a text-to-image search by image-text matching (ITM).

Every caption's ``k`` closest gallery images (by feature distance, ties by
gallery index) are scored by an ITM scorer; the caption's ranking is then
these ``k`` by decreasing score (equal scores by gallery index), followed
by every other image by distance. :class:`ReRankedRows` gives distance rows
whose ascending order, ties by gallery index, is exactly that ranking, so
the rank metrics (CMC, mAP, mINP) apply unchanged.
"""
from typing import Callable, Optional, Sequence, Tuple

import numpy as np
import torch

from .distance import ArrayLike
from .utils import (FeatureRows, RowSource, check_no_nan, check_positive_int,
                    stable_topk)

#: ``scorer(text_tokens (n, L, C), text_mask (n, L), image_tokens (n, N, Ci))
#: -> (n,)`` matching scores, higher for a better match.
ITMScorer = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], ArrayLike]


def _places(scores: np.ndarray) -> np.ndarray:
    """Place of every entry of each row when the row is sorted by
    decreasing score; equal scores share the place of the first of them.
    """
    order = np.argsort(-scores, axis=1, kind='stable')
    ordered = np.take_along_axis(scores, order, axis=1)
    cols = np.arange(scores.shape[1])
    new = np.ones(ordered.shape, dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(new, cols, 0), axis=1)
    places = np.empty_like(order)
    np.put_along_axis(places, order, first, axis=1)
    return places


def reranked_distances(dist: np.ndarray, indices: np.ndarray,
                       scores: np.ndarray) -> np.ndarray:
    """Distance rows whose ascending order is the re-ranked order.

    The ``k`` re-ranked items of a row get ``m - k - 1 + place``, with
    ``m = min(0, floor(row minimum))`` and ``place`` the item's place by
    decreasing score (equal scores share a place, so that they stay tied
    and are ordered by gallery index, like any tie): they come before every
    other item, which keeps its distance (and its ties).

    Args:
        dist (np.ndarray): ``(B, G)`` distances.
        indices (np.ndarray): ``(B, k)`` re-ranked columns of every row
            (distinct within a row).
        scores (np.ndarray): ``(B, k)`` their scores, higher first.

    Returns:
        np.ndarray: The ``(B, G)`` float64 distances (a new array).

    Example:
        >>> import numpy as np
        >>> dist = np.array([[0.1, 0.2, 0.3, 0.4]])
        >>> reranked_distances(dist, np.array([[0, 1]]),
        ...                    np.array([[0.5, 2.0]])).tolist()
        [[-2.0, -3.0, 0.3, 0.4]]
    """
    out = np.array(dist, dtype=np.float64)
    indices = np.asarray(indices, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    if indices.shape != scores.shape or indices.shape[0] != out.shape[0]:
        raise ValueError(
            f'indices {indices.shape} and scores {scores.shape} must both '
            f'have shape (B, k) with B = {out.shape[0]} rows of distances')
    k = indices.shape[1]
    if k == 0:
        return out
    check_no_nan(scores, 'the ITM scores')
    base = np.minimum(np.floor(out.min(axis=1)), 0) - (k + 1)
    np.put_along_axis(out, indices, base[:, None] + _places(scores), axis=1)
    return out


class ReRankedRows(RowSource):
    """Distance rows of another row source with every row's re-ranked items
    moved to the front (see :func:`reranked_distances`).

    Args:
        base (RowSource): The distances (e.g. a
            :class:`~.utils.FeatureRows`).
        indices (np.ndarray): ``(Q, k)`` re-ranked gallery items of every
            query.
        scores (np.ndarray): ``(Q, k)`` their scores, higher first.

    Example:
        >>> import numpy as np
        >>> from mmreid_instruct.evaluation.functional.utils import \\
        ...     MatrixRows
        >>> rows = ReRankedRows(MatrixRows([[0.1, 0.2, 0.3]]),
        ...                     np.array([[0, 1]]), np.array([[1., 3.]]))
        >>> rows.get(np.array([0])).argsort(kind='stable').tolist()
        [[1, 0, 2]]
    """

    def __init__(self, base: RowSource, indices: np.ndarray,
                 scores: np.ndarray):
        indices = np.asarray(indices, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        if indices.shape != scores.shape or indices.ndim != 2 or \
                indices.shape[0] != base.shape[0]:
            raise ValueError(
                f'indices {indices.shape} and scores {scores.shape} must '
                f'both have shape (num_query, k), num_query = '
                f'{base.shape[0]}')
        if indices.shape[1] > base.shape[1]:
            raise ValueError(f'{indices.shape[1]} re-ranked items per query '
                             f'but only {base.shape[1]} gallery items')
        check_no_nan(scores, 'the ITM scores')
        self.base = base
        self.indices, self.scores = indices, scores
        self.shape = base.shape
        self.itemsize = 8
        self.check_blocks = base.check_blocks

    def get(self, rows: np.ndarray) -> np.ndarray:
        """Re-ranked distances of queries ``rows`` (a new float64 array)."""
        block = self.base.get(rows)
        if isinstance(block, torch.Tensor):
            block = block.cpu().numpy()
        return reranked_distances(block, self.indices[rows], self.scores[rows])


def _check_scores(out, num: int, query: int) -> np.ndarray:
    """The scorer's output for ``num`` pairs as a float64 array."""
    if isinstance(out, torch.Tensor):
        out = out.detach().to('cpu', torch.float64).numpy()
    out = np.asarray(out, dtype=np.float64)
    if out.shape != (num, ):
        raise ValueError(f'the ITM scorer returned shape {out.shape} for '
                         f'{num} pairs of query {query}; expected ({num},)')
    return out


def itm_topk_scores(
        source: RowSource,
        scorer: ITMScorer,
        text_tokens: Sequence[torch.Tensor],
        text_masks: Sequence[torch.Tensor],
        image_tokens: Sequence[torch.Tensor],
        topk: int = 128,
        batch_size: int = 256,
        chunk_size: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Every query's ``topk`` closest gallery items and their ITM scores.

    The items are those of the stable ranking by distance (ties by gallery
    index). They are scored by ``scorer`` in calls of at most
    ``batch_size`` pairs of one query: its tokens and mask repeated, the
    items' image tokens stacked.

    Args:
        source (RowSource): The ``(Q, G)`` distances.
        scorer (callable): ``scorer(text_tokens (n, L, C), text_mask (n, L),
            image_tokens (n, N, Ci)) -> (n,)`` scores, higher for a better
            match (e.g. ``InstructReID.itm_scores``).
        text_tokens (Sequence[torch.Tensor]): ``(L, C)`` tokens of every
            query (``L`` may differ between queries).
        text_masks (Sequence[torch.Tensor]): ``(L,)`` masks of the tokens
            (True or 1 where valid).
        image_tokens (Sequence[torch.Tensor]): ``(N, Ci)`` tokens of every
            gallery item.
        topk (int): Items re-scored per query; capped at ``G``. Defaults
            to 128.
        batch_size (int): Pairs per scorer call. Defaults to 256.
        chunk_size (int, optional): Query rows of distances per block.

    Returns:
        tuple: ``indices`` (int64 ``(Q, k)``, in order of distance) and
        ``scores`` (float64 ``(Q, k)``).
    """
    num_query, num_gallery = source.shape
    k = min(check_positive_int(topk, 'topk'), num_gallery)
    batch_size = check_positive_int(batch_size, 'batch_size')
    for name, values, length in (('text_tokens', text_tokens, num_query),
                                 ('text_masks', text_masks, num_query),
                                 ('image_tokens', image_tokens, num_gallery)):
        if len(values) != length:
            raise ValueError(f'{name} has {len(values)} entries; expected '
                             f'{length}')
    indices = np.empty((num_query, k), dtype=np.int64)
    for rows, block in source.numpy_blocks(np.arange(num_query), chunk_size):
        indices[rows] = stable_topk(block, k)[1].reshape(len(rows), k)
    scores = np.empty((num_query, k), dtype=np.float64)
    for qi in range(num_query):
        for start in range(0, k, batch_size):
            items = indices[qi, start:start + batch_size]
            n = len(items)
            out = scorer(text_tokens[qi].unsqueeze(0).repeat(n, 1, 1),
                         text_masks[qi].unsqueeze(0).repeat(n, 1),
                         torch.stack([image_tokens[j] for j in items]))
            scores[qi, start:start + n] = _check_scores(out, n, qi)
    return indices, scores


def itm_rerank_rows(q_feats: ArrayLike,
                    g_feats: ArrayLike,
                    scorer: ITMScorer,
                    text_tokens: Sequence[torch.Tensor],
                    text_masks: Sequence[torch.Tensor],
                    image_tokens: Sequence[torch.Tensor],
                    *,
                    topk: int = 128,
                    batch_size: int = 256,
                    metric: str = 'cosine',
                    chunk_size: Optional[int] = None) -> ReRankedRows:
    """Re-ranked distance rows of a text-to-image search.

    The distances between the features rank every gallery; the ``topk``
    first items of each caption are re-scored by ``scorer``
    (:func:`itm_topk_scores`) and put first by decreasing score. Evaluate
    the rows with
    :func:`~mmreid_instruct.evaluation.functional.rank.evaluate_source`.

    Args:
        q_feats, g_feats (np.ndarray | torch.Tensor): ``(Q, C)`` caption
            and ``(G, C)`` image features.
        scorer, text_tokens, text_masks, image_tokens, topk, batch_size,
        chunk_size: As in :func:`itm_topk_scores`.
        metric (str): ``'cosine'`` or ``'euclidean'``. Defaults to
            ``'cosine'``.

    Returns:
        ReRankedRows: The re-ranked distances.

    Example:
        >>> import numpy as np
        >>> import torch
        >>> def scorer(text, mask, image):  # the image token's value
        ...     return image[:, 0, 0]
        >>> q = np.array([[1., 0.]])
        >>> g = np.array([[1., 0.], [1., .1], [0., 1.]])
        >>> image_tokens = [torch.tensor([[v]]) for v in (0., 5., 9.)]
        >>> rows = itm_rerank_rows(q, g, scorer, [torch.zeros(3, 1)],
        ...                        [torch.ones(3)], image_tokens, topk=2)
        >>> rows.get(np.array([0])).argsort(kind='stable').tolist()
        [[1, 0, 2]]
    """
    base = FeatureRows(q_feats, g_feats, metric)
    indices, scores = itm_topk_scores(base, scorer, text_tokens, text_masks,
                                      image_tokens, topk, batch_size,
                                      chunk_size)
    return ReRankedRows(base, indices, scores)
