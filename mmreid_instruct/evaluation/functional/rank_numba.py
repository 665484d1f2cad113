"""The numba kernel of the fast CPU path of ``pair_positions``.

The position of a gallery item ``c`` with distance ``v`` in its query's
ranking is the number of items ranked before it: those with a smaller
distance, and those with an equal distance and a smaller index. That is
``count(row < v) + count(row[:c] == v)``, one pass over the row per
wanted item, with no sort. The same pass counts the whole tie group,
``count(row == v)``, which the tie-aware rules (``RankProtocol.ties``)
need. A query has a few wanted items (its true matches and junk); the
row is counted a cache-sized segment at a time against every item, and
the counting loop is vectorised by LLVM.
``docs/en/advanced_guides/evaluation.md`` has the measurements.
"""
import numba
import numpy as np


def _njit(func):
    """``numba.njit`` with an on-disk cache where one can be written.

    Numba caches next to this file, or in the user's cache directory when
    the package is read-only; with neither writable it refuses
    ``cache=True``, and the kernel is compiled in every process instead.
    """
    try:
        return numba.njit(cache=True, nogil=True)(func)
    except RuntimeError:  # no writable cache directory
        return numba.njit(nogil=True)(func)


@_njit
def _count_below_equal(x, v):
    """Numbers of entries of ``x`` below ``v`` and equal to ``v``; ``x``
    holds fewer than 2**31 entries."""
    below = np.int32(0)
    equal = np.int32(0)
    for j in range(x.shape[0]):
        # Truncating to int32 each step lets LLVM count in int32 lanes,
        # twice as many per vector as the int64 numba computes in.
        below = np.int32(below + (x[j] < v))
        equal = np.int32(equal + (x[j] == v))
    return below, equal


@_njit
def _required_max(row, kcol, optional):
    """Largest distance of the required items; ``(found, value)``."""
    found, top = False, row[0]
    for i in range(kcol.shape[0]):
        if not optional[i] and (not found or row[kcol[i]] > top):
            found, top = True, row[kcol[i]]
    return found, top


@_njit
def _row_positions(row, kcol, optional, segment, out, first, size):
    """Positions and tie groups of the wanted items of one row (see
    :func:`count_positions`)."""
    n = row.shape[0]
    found, top = _required_max(row, kcol, optional)
    counted = np.empty(kcol.shape[0], dtype=np.bool_)
    for i in range(kcol.shape[0]):
        counted[i] = not (found and optional[i] and row[kcol[i]] > top)
        out[i] = 0 if counted[i] else n
        first[i] = out[i]
        size[i] = 0 if counted[i] else 1
    for s0 in range(0, n, segment):
        s1 = min(s0 + segment, n)
        for i in range(kcol.shape[0]):
            if counted[i]:
                c = kcol[i]
                # Equal values rank before the item at smaller indices only.
                split = min(max(c, s0), s1)
                below, equal = _count_below_equal(row[s0:split], row[c])
                out[i] += below + equal
                first[i] += below
                size[i] += equal
                below, equal = _count_below_equal(row[split:s1], row[c])
                out[i] += below
                first[i] += below
                size[i] += equal


@_njit
def count_positions(block, gather, kept, row_start, kcol, optional, segment,
                    out, first, size):
    """Positions of wanted items in their rows' rankings, by counting.

    A row is ranked by distance, ties by index. An optional item with a
    larger distance than every required item of its row gets the number
    of ranked columns instead of its position, as a tie group of 1 (as
    ``pair_positions`` allows), which saves its pass.

    Args:
        block (np.ndarray): C-contiguous distance rows ``(B, G)``.
        gather (bool): Rank only the columns ``kept``, else all.
        kept (np.ndarray): The ranked gallery columns (int64, ascending)
            when ``gather`` is True.
        row_start (np.ndarray): ``B + 1`` offsets: the wanted items of row
            ``r`` are ``row_start[r]:row_start[r + 1]``.
        kcol (np.ndarray): Index of each wanted item among the ranked
            columns.
        optional (np.ndarray): Boolean per item.
        segment (int): Columns counted against every item of a row before
            the next ones, so that they stay in the L1 cache.
        out (np.ndarray): int64 positions, written per item.
        first (np.ndarray): int64, written per item: the position of the
            first item of its tie group, ``count(row < v)``.
        size (np.ndarray): int64, written per item: the size of its tie
            group, ``count(row == v)`` (itself included).
    """
    n = kept.shape[0] if gather else block.shape[1]
    buf = np.empty(n, dtype=block.dtype)
    for r in range(block.shape[0]):
        p0, p1 = row_start[r], row_start[r + 1]
        if p0 < p1:
            row = block[r]
            if gather:
                for j in range(n):
                    buf[j] = row[kept[j]]
                row = buf
            _row_positions(row, kcol[p0:p1], optional[p0:p1], segment,
                           out[p0:p1], first[p0:p1], size[p0:p1])
