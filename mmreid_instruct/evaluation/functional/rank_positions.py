"""Positions of chosen gallery items in each query's ranking.

This is the engine behind :func:`~.rank.evaluate_rank`. The ranking of a
query is its distance row, without the always-junk gallery columns, ordered
by distance with ties broken by gallery index. Only the positions of a few
items per query (its true matches and junk) are needed. Two paths find
them, with identical results:

* **counting** (the fast CPU path: numpy rows of every dtype numba can
  compare exactly): the numba kernel of :mod:`.rank_numba` counts the items
  ranked before each wanted item, with no sort;
* **stable argsort** (the reference: torch tensors, e.g. on a GPU, dtypes
  numba lacks, e.g. ``longdouble``, and the rare rows with so many wanted
  items that sorting them is cheaper than counting): a wanted item's
  position is its index in the stable argsort of its row.

Both can also report the size of each wanted item's tie group (the ranked
columns with its distance), for the tie-aware rules of
:class:`~.rank_protocol.RankProtocol`.
"""
from typing import Optional

import numpy as np
import torch

from .rank_numba import count_positions
from .utils import BLOCK_BYTES, GPU_BLOCK_BYTES, RowSource, index_tensor

# Bytes of a row the counting kernel compares with every wanted item before
# moving on: they stay in the L1 cache (a whole row may only fit in L2).
_SEGMENT_BYTES = 32 * 2**10

# Rows with more wanted items than this are argsorted instead of counted:
# one pass per item then costs more (on float32 rows of 16,000 columns the
# two cost the same at about 2,300 items).
_SORT_ABOVE = 2048


def counting_dtype(dtype: np.dtype) -> Optional[np.dtype]:
    """The dtype the counting kernel ranks ``dtype`` values in (exactly),
    or None for one it cannot take; few dtypes mean few compiled kernels.

    Example:
        >>> import numpy as np
        >>> counting_dtype(np.dtype(np.float16))
        dtype('float32')
    """
    if dtype == np.float16:
        return np.dtype(np.float32)
    if dtype.kind == 'i' or (dtype.kind == 'u' and dtype.itemsize < 8):
        return np.dtype(np.int64)
    if dtype in (np.float32, np.float64, np.uint64):
        return dtype
    return None


def _counted_positions(block: np.ndarray, dtype: np.dtype, counts: np.ndarray,
                       kcol: np.ndarray, optional: np.ndarray,
                       keep_cols: Optional[np.ndarray]) -> tuple:
    """Positions and tie groups (first position, size) by the counting
    kernel (see
    :mod:`.rank_numba`); row ``r`` has ``counts[r]`` wanted items."""
    gather = keep_cols is not None
    kept = keep_cols if gather else np.zeros(0, dtype=np.int64)
    out, first, size = np.empty((3, len(kcol)), dtype=np.int64)
    count_positions(
        np.ascontiguousarray(block, dtype=dtype), gather, kept,
        np.r_[0, np.cumsum(counts)], kcol, optional,
        max(1, _SEGMENT_BYTES // dtype.itemsize), out, first, size)
    return out, first, size


def _argsorted_positions(block, local_row: np.ndarray, kcol: np.ndarray,
                         keep_cols: Optional[np.ndarray]) -> tuple:
    """Positions as indices in the stable argsort of each row (of the
    ``keep_cols`` columns) of a numpy or torch ``block``, and the first
    position and size of each item's run of equal values in its sorted
    row."""
    if isinstance(block, torch.Tensor):
        device = block.device
        if keep_cols is not None:
            block = block[:, index_tensor(keep_cols, device)]
        values, order = torch.sort(block, dim=1, stable=True)
        rank = torch.empty_like(order)
        steps = torch.arange(order.shape[1], device=device)
        steps = steps.expand_as(order).contiguous()
        rank.scatter_(1, order, steps)
        change = values[:, 1:] != values[:, :-1]
        edge = torch.ones_like(change[:, :1])
        first = torch.where(
            torch.cat([edge, change], 1), steps,
            torch.zeros_like(steps)).cummax(1).values
        last = torch.where(
            torch.cat([change, edge], 1), steps,
            torch.full_like(steps, order.shape[1])).flip(1).cummin(1)
        size = last.values.flip(1) - first + 1
        rows = index_tensor(local_row, device)
        pos = rank[rows, index_tensor(kcol, device)]
        return (pos.cpu().numpy(), first[rows, pos].cpu().numpy(),
                size[rows, pos].cpu().numpy())
    if keep_cols is not None:
        block = block[:, keep_cols]
    order = np.argsort(block, axis=1, kind='stable')
    rank = np.empty_like(order)
    steps = np.broadcast_to(np.arange(order.shape[1]), order.shape)
    np.put_along_axis(rank, order, steps, axis=1)
    values = np.take_along_axis(block, order, axis=1)
    change = values[:, 1:] != values[:, :-1]
    edge = np.ones((len(order), 1), dtype=bool)
    first = np.maximum.accumulate(
        np.where(np.hstack([edge, change]), steps, 0), axis=1)
    last = np.minimum.accumulate(
        np.where(np.hstack([change, edge]), steps, order.shape[1])[:, ::-1],
        axis=1)[:, ::-1]
    pos = rank[local_row, kcol]
    return (pos, first[local_row, pos], (last - first + 1)[local_row, pos])


def block_positions(block,
                    local_row: np.ndarray,
                    kcol: np.ndarray,
                    optional: np.ndarray,
                    keep_cols: Optional[np.ndarray] = None,
                    with_ties: bool = False):
    """Positions of wanted items in the rankings of a block of rows.

    Args:
        block (np.ndarray | torch.Tensor): Distance rows ``(B, G)``.
        local_row (np.ndarray): Row of each wanted item, ascending.
        kcol (np.ndarray): Index of each item among the ranked columns.
        optional (np.ndarray): Boolean per item, see :func:`pair_positions`.
        keep_cols (np.ndarray, optional): The ranked columns (ascending);
            None ranks them all.
        with_ties (bool): Also return the tie-group sizes. Defaults to
            False.

    Returns:
        np.ndarray | tuple: int64 positions, one per item; with
        ``with_ties`` also each item's tie group (the ranked columns with
        its distance): the position of its first item and its size (for
        an optional item reported as ranked last: that number and 1).

    Example:
        >>> import numpy as np
        >>> block_positions(np.array([[0.3, 0.1, 0.2]]), np.array([0, 0]),
        ...                 np.array([0, 2]), np.zeros(2, bool)).tolist()
        [2, 1]
    """
    dtype = None if isinstance(block, torch.Tensor) \
        else counting_dtype(block.dtype)
    if dtype is None:
        out = _argsorted_positions(block, local_row, kcol, keep_cols)
        return out if with_ties else out[0]
    counts = np.bincount(local_row, minlength=len(block))
    # Rows with very many wanted items are argsorted: it is then cheaper.
    sort_rows = counts > _SORT_ABOVE
    by_sort = sort_rows[local_row]
    out = np.empty((3, len(kcol)), dtype=np.int64)
    if by_sort.any():
        rows = np.flatnonzero(sort_rows)
        out[:, by_sort] = _argsorted_positions(
            block[rows], np.searchsorted(rows, local_row[by_sort]),
            kcol[by_sort], keep_cols)
        counts[sort_rows] = 0
    counted = ~by_sort
    out[:, counted] = _counted_positions(block, dtype, counts, kcol[counted],
                                         optional[counted], keep_cols)
    return tuple(out) if with_ties else out[0]


def pair_positions(source: RowSource,
                   g_is_junk: np.ndarray,
                   pair_q: np.ndarray,
                   pair_g: np.ndarray,
                   optional: Optional[np.ndarray] = None,
                   chunk_size: Optional[int] = None,
                   with_ties: bool = False):
    """0-based position of each (query, gallery item) pair in the ranking.

    The ranking of a query is its distance row without the columns where
    ``g_is_junk`` is True, ordered by distance with ties broken by gallery
    index. The position counts the non-junk items ranked before the item.

    Args:
        source (RowSource): Where distance rows come from.
        g_is_junk (np.ndarray): Boolean, per gallery item.
        pair_q (np.ndarray): Query index of each pair, sorted.
        pair_g (np.ndarray): Gallery index of each pair (not junk).
        optional (np.ndarray, optional): Boolean per pair: the position of
            an optional pair ranked after every other pair of its query
            may be reported as the number of non-junk columns instead
            (junk ranked after the last match changes nothing).
        chunk_size (int, optional): Query rows per block; by default 32 MiB
            of distances (256 MiB on a GPU).
        with_ties (bool): Also return the tie group of each pair (the
            non-junk columns of its row with its distance): the position
            of its first item and its size (for an optional pair reported
            as ranked last: that number and 1). Defaults to False.

    Returns:
        np.ndarray | tuple: int64 positions, one per pair; with
        ``with_ties`` the positions, the tie groups' first positions and
        their sizes.

    Example:
        >>> import numpy as np
        >>> from mmreid_instruct.evaluation.functional.utils import \\
        ...     MatrixRows
        >>> pair_positions(MatrixRows([[0.3, 0.1, 0.2]]),
        ...                np.array([False, True, False]), np.array([0]),
        ...                np.array([0])).tolist()
        [1]
    """
    out = np.empty((3, len(pair_q)), dtype=np.int64)
    if len(pair_q) == 0:
        return tuple(out) if with_ties else out[0]
    if optional is None:
        optional = np.zeros(len(pair_q), dtype=bool)
    keep_cols, kcol = None, pair_g
    if g_is_junk.any():
        keep_cols = np.flatnonzero(~g_is_junk)
        kcol = (np.cumsum(~g_is_junk) - 1)[pair_g]
    budget = GPU_BLOCK_BYTES if source.is_torch else BLOCK_BYTES
    # Blocks are runs of consecutive queries, so that the rows of a matrix
    # are a view, not a copy.
    rows = np.arange(pair_q[0], pair_q[-1] + 1)
    for ids, block in source.blocks(rows, chunk_size, budget):
        p0, p1 = np.searchsorted(pair_q, [ids[0], ids[-1] + 1])
        if p0 < p1:
            out[:, p0:p1] = block_positions(
                block,
                pair_q[p0:p1] - ids[0],
                kcol[p0:p1],
                optional[p0:p1],
                keep_cols,
                with_ties=True)
    return tuple(out) if with_ties else out[0]
