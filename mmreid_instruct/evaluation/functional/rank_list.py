"""Top-k gallery items of every query (rank lists for visualisation)."""
from typing import Optional, Tuple

import numpy as np
import torch

from .distance import ArrayLike
from .rank_positions import FeatureRows, MatrixRows, block_rows


def stable_topk(block: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """The ``k`` closest columns of every row, ties broken by column.

    Args:
        block (np.ndarray): ``(B, G)`` distances.
        k (int): How many columns per row (at most ``G``).

    Returns:
        tuple: ``rows`` and ``cols`` (flat, ordered by row then rank) of the
        ``B * k`` selected entries.

    Example:
        >>> stable_topk(np.array([[3., 1., 1.]]), 2)[1].tolist()
        [1, 2]
    """
    num_cols = block.shape[1]
    if k < num_cols:
        kth = np.partition(block, k - 1, axis=1)[:, k - 1]
        r, c = np.nonzero(block <= kth[:, None])
    else:
        r, c = np.divmod(np.arange(block.size), num_cols)
    order = np.lexsort((c, block[r, c], r))
    r, c = r[order], c[order]
    inside = np.arange(len(r)) - np.searchsorted(r, r) < k
    return r[inside], c[inside]


def _rank_lists(source, topk: int, chunk_size: Optional[int]):
    if isinstance(topk, bool) or not isinstance(topk,
                                                (int, np.integer)) or topk < 1:
        raise ValueError(f'topk must be a positive integer, got {topk!r}')
    num_query, num_gallery = source.shape
    k = min(int(topk), num_gallery)
    indices = np.empty((num_query, k), dtype=np.int64)
    dists = np.empty((num_query, k), dtype=np.float64)
    step = block_rows(num_gallery, source.itemsize, chunk_size)
    for b0 in range(0, num_query, step):
        rows = np.arange(b0, min(b0 + step, num_query))
        block = source.get(rows)
        if isinstance(block, torch.Tensor):
            block = block.cpu().numpy()
        r, c = stable_topk(block, k)
        indices[rows] = c.reshape(len(rows), k)
        dists[rows] = block[r, c].reshape(len(rows), k)
    return indices, dists


def rank_list(
        distmat: ArrayLike,
        topk: int = 10,
        chunk_size: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """The ``topk`` closest gallery items of every query.

    Ties are broken by gallery index, as in :func:`evaluate_rank`; junk is
    not removed (a rank list shows what the model retrieved).

    Args:
        distmat (np.ndarray | torch.Tensor): ``(Q, G)`` distances.
        topk (int): Items per query (capped at ``G``). Defaults to 10.
        chunk_size (int, optional): Query rows per block.

    Returns:
        tuple: ``indices`` (int64 ``(Q, k)``) and ``distances`` (float64
        ``(Q, k)``).

    Example:
        >>> idx, d = rank_list(np.array([[0.3, 0.1, 0.2]]), topk=2)
        >>> idx.tolist()
        [[1, 2]]
    """
    return _rank_lists(MatrixRows(distmat), topk, chunk_size)


def rank_list_from_features(
        q_feats: ArrayLike,
        g_feats: ArrayLike,
        topk: int = 10,
        metric: str = 'euclidean',
        chunk_size: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`rank_list` of features, computed block by block.

    Args:
        q_feats, g_feats (np.ndarray | torch.Tensor): Features.
        topk (int): Items per query. Defaults to 10.
        metric (str): ``'euclidean'`` or ``'cosine'``.
        chunk_size (int, optional): Query rows per block.

    Returns:
        tuple: As :func:`rank_list`.
    """
    return _rank_lists(FeatureRows(q_feats, g_feats, metric), topk, chunk_size)
