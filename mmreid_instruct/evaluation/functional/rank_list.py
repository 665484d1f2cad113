"""Top-k gallery items of every query (rank lists for visualisation)."""
from typing import Optional, Tuple

import numpy as np

from .distance import ArrayLike
from .utils import (FeatureRows, MatrixRows, RowSource, check_positive_int,
                    stable_topk)


def _rank_lists(source: RowSource, topk: int, chunk_size: Optional[int]):
    k = min(check_positive_int(topk, 'topk'), source.shape[1])
    indices = np.empty((source.shape[0], k), dtype=np.int64)
    dists = np.empty((source.shape[0], k), dtype=np.float64)
    for rows, block in source.numpy_blocks(
            np.arange(source.shape[0]), chunk_size):
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
        >>> import numpy as np
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

    Example:
        >>> import numpy as np
        >>> idx, d = rank_list_from_features(np.zeros((1, 1)),
        ...                                  np.array([[2.], [1.]]), topk=1)
        >>> idx.tolist(), d.tolist()
        ([[1]], [[1.0]])
    """
    return _rank_lists(FeatureRows(q_feats, g_feats, metric), topk, chunk_size)


def rank_list_from_rows(
        source: RowSource,
        topk: int = 10,
        chunk_size: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`rank_list` of any row source (e.g. re-ranked distances).

    Args:
        source (RowSource): The ``(Q, G)`` distances.
        topk (int): Items per query. Defaults to 10.
        chunk_size (int, optional): Query rows per block.

    Returns:
        tuple: As :func:`rank_list`.

    Example:
        >>> import numpy as np
        >>> idx, d = rank_list_from_rows(MatrixRows([[0.3, 0.1]]), topk=1)
        >>> idx.tolist(), d.tolist()
        ([[1]], [[0.1]])
    """
    return _rank_lists(source, topk, chunk_size)
