"""Positions of chosen gallery items in each query's ranking.

This is the engine behind :func:`evaluate_rank`. The ranking of a query is
its distance row, without the always-junk gallery columns, ordered by
distance with ties broken by gallery index. Only the positions of a few
items per query (its true matches and junk) are needed, and the position of
an item is just the number of items ranked before it, so no argsort is
made:

* **prefix path** (float16/float32 rows on the CPU): every item that can be
  ranked before a wanted item has a distance at most ``t``, the largest
  distance among the query's wanted items. Those items are picked out with
  one comparison pass, packed into unique 64-bit integer keys
  ``(row, distance bits, column)`` that sort exactly like the ranking, and
  sorted together; positions are then read off with ``searchsorted``. For a
  trained model ``t`` is small and few items are picked.
* **sort path** (rows where ``t`` is large, other dtypes): the row is
  sorted by value (a copy in a reused buffer), positions are found with
  ``searchsorted`` per row, and the rare ties in distance are resolved by
  index.
* **counting** (``backend='numba'``, CPU): the position of an item is
  counted directly, one vectorised pass over the row per wanted item (see
  :mod:`.rank_numba`); rows with many wanted items take the paths above.
* **GPU** (CUDA tensors): the sort path with torch operations.

Rows come in blocks from a *row source*: a distance matrix, or features
from which the block of distances is computed on the fly.
"""
import importlib
from typing import Optional

import numpy as np
import torch

from .distance import (check_feature_pair, check_metric, distance_from_parts,
                       row_factors)

# Bytes of distances per block of rows (CPU, and GPU where a block is
# handled by a few large kernels).
BLOCK_BYTES = 32 * 2**20
GPU_BLOCK_BYTES = 256 * 2**20

# A row takes the prefix path when about this fraction of it or less is
# ranked before its last wanted item (estimated from a sample of columns).
_PREFIX_FRACTION = 0.2

# Columns sampled per row for that estimate.
_SAMPLE_COLUMNS = 256

# Distances handled at once by the CPU kernel (about 4 MiB of float32).
_CACHE_ELEMENTS = 2**20

# Rows with more tied wanted items than this get a stable argsort instead
# of one comparison scan per tied item.
_TIE_SCAN_LIMIT = 16

#: Values of ``backend``: ``'numpy'``, ``'numba'`` (the counting kernel, an
#: optional dependency), or ``'auto'`` (numba when it can be imported).
BACKENDS = ('auto', 'numpy', 'numba')

# The numba backend sorts the rows with more wanted items than this: there
# one counting pass per item costs as much as the sort path (float32 rows
# of 16,000 columns; with 3,000 columns counting still wins at 256).
_COUNT_LIMIT = 128

# Bytes of a row the numba kernel counts against every wanted item before
# moving on: they stay in the L1 cache (a whole row may only fit in L2).
_SEGMENT_BYTES = 32 * 2**10


def _numba_kernels():
    """The module of numba kernels; ImportError without numba."""
    return importlib.import_module('.rank_numba', __package__)


def resolve_backend(backend: str) -> str:
    """The CPU ranking backend that ``backend`` stands for.

    Args:
        backend (str): One of :data:`BACKENDS`.

    Returns:
        str: ``'numpy'`` or ``'numba'``.
    """
    if backend not in BACKENDS:
        raise ValueError(f'backend must be one of {BACKENDS}, got '
                         f'{backend!r}')
    if backend == 'numpy':
        return backend
    try:
        _numba_kernels()
    except ImportError as err:
        if backend == 'numba':
            raise ImportError("backend='numba' needs numba: pip install "
                              'numba') from err
        return 'numpy'
    return 'numba'


def index_tensor(idx: np.ndarray, device) -> torch.Tensor:
    """A numpy index array as a long tensor on ``device``."""
    return torch.as_tensor(idx, dtype=torch.long, device=device)


def check_not_empty(num_query: int, num_gallery: int) -> None:
    """Raise a clear error for an empty query set or gallery."""
    if num_query == 0:
        raise ValueError('the query set is empty: nothing to evaluate')
    if num_gallery == 0:
        raise ValueError('the gallery is empty: nothing to rank')


def check_no_nan(values, name: str, allow_inf: bool = True) -> None:
    """Raise if ``values`` holds NaN (or, unless allowed, infinity)."""
    if isinstance(values, torch.Tensor):
        if not values.is_floating_point() or values.numel() == 0:
            return
        # A reduction probe first: NaN propagates through min and sum.
        probe = values.min() if allow_inf else values.sum()
        if not bool(torch.isnan(probe)) and (allow_inf
                                             or bool(torch.isfinite(probe))):
            return
        bad = torch.isnan(values) if allow_inf else ~torch.isfinite(values)
        if not bool(bad.any()):
            return
        row = int(bad.reshape(len(bad), -1).any(1).nonzero()[0, 0])
    else:
        if not np.issubdtype(values.dtype, np.floating):
            return
        # One reduction pass: NaN propagates through min (and, with
        # infinities, through sum); the exact scan runs only on suspicion.
        probe = np.min(values) if allow_inf else np.sum(values)
        if not np.isnan(probe) and (allow_inf or np.isfinite(probe)):
            return
        bad = np.isnan(values) if allow_inf else ~np.isfinite(values)
        if not bad.any():
            return
        row = int(np.flatnonzero(bad.reshape(len(bad), -1).any(1))[0])
    what = 'NaN' if allow_inf else 'NaN or infinite values'
    raise ValueError(f'{name} contains {what} (first in row {row}); '
                     'check the model output')


def block_rows(num_cols: int,
               itemsize: int,
               chunk_size: Optional[int] = None,
               budget: int = BLOCK_BYTES) -> int:
    """Rows per block: ``chunk_size`` if given, else ``budget`` bytes."""
    if chunk_size is not None:
        if isinstance(
                chunk_size,
                bool) or not isinstance(chunk_size,
                                        (int, np.integer)) or chunk_size < 1:
            raise ValueError('chunk_size must be None or a positive integer, '
                             f'got {chunk_size!r}')
        return int(chunk_size)
    return max(1, budget // max(1, num_cols * itemsize))


# ---------------------------------------------------------------------------
# Row sources
# ---------------------------------------------------------------------------
class MatrixRows:
    """Blocks of rows of a full distance matrix (numpy or torch).

    Args:
        distmat (array-like): The ``(num_query, num_gallery)`` distances.
    """

    #: Blocks need no NaN check: the whole matrix is checked once.
    check_blocks = False

    def __init__(self, distmat):
        if isinstance(distmat, torch.Tensor):
            distmat = distmat.detach()
            if not distmat.is_cuda:
                distmat = distmat.numpy()
        elif not isinstance(distmat, np.ndarray):
            distmat = np.asarray(distmat)
        if distmat.ndim != 2:
            raise ValueError('distmat must be 2-D (num_query, num_gallery), '
                             f'got shape {tuple(distmat.shape)}')
        self.is_torch = isinstance(distmat, torch.Tensor)
        if self.is_torch:
            ok = distmat.dtype != torch.bool and not distmat.is_complex()
        else:
            ok = distmat.dtype.kind in 'fiu'
        if not ok:
            raise TypeError('distmat must hold real numbers, got dtype '
                            f'{distmat.dtype}')
        check_not_empty(*distmat.shape)
        check_no_nan(distmat, 'distmat')
        self.distmat = distmat
        self.shape = tuple(distmat.shape)
        self.itemsize = distmat.element_size() if self.is_torch \
            else distmat.itemsize

    def get(self, rows: np.ndarray):
        """Rows ``rows`` (sorted) of the matrix; treat the result as
        read-only, it may share memory with the matrix."""
        dist = self.distmat
        if rows[-1] - rows[0] + 1 == len(rows):
            return dist[int(rows[0]):int(rows[-1]) + 1]
        if self.is_torch:
            return dist[index_tensor(rows, dist.device)]
        return dist[rows]


class FeatureRows:
    """Blocks of distance rows computed from query and gallery features.

    Args:
        q_feats (np.ndarray | torch.Tensor): Query features ``(Q, C)``.
        g_feats (np.ndarray | torch.Tensor): Gallery features ``(G, C)``.
        metric (str): ``'euclidean'`` or ``'cosine'``.
    """

    #: Distances of finite features can still overflow: check each block.
    check_blocks = True

    def __init__(self, q_feats, g_feats, metric: str):
        check_metric(metric)
        check_feature_pair(q_feats, g_feats)
        self.is_torch = isinstance(q_feats, torch.Tensor)
        if self.is_torch:
            q_feats, g_feats = q_feats.detach(), g_feats.detach()
            if q_feats.device != g_feats.device:
                raise ValueError('q_feats and g_feats must be on the same '
                                 f'device, got {q_feats.device} and '
                                 f'{g_feats.device}')
            if not q_feats.is_cuda:
                q_feats, g_feats = q_feats.numpy(), g_feats.numpy()
                self.is_torch = False
        if self.is_torch:
            dtype = torch.promote_types(q_feats.dtype, g_feats.dtype)
            if not dtype.is_floating_point:
                dtype = torch.float32
            q_feats, g_feats = q_feats.to(dtype), g_feats.to(dtype)
        else:
            # Half precision products are slow and inexact on the CPU.
            dtype = np.promote_types(
                np.result_type(q_feats, g_feats), np.float32)
            q_feats = np.ascontiguousarray(q_feats, dtype=dtype)
            g_feats = np.ascontiguousarray(g_feats, dtype=dtype)
        check_not_empty(len(q_feats), len(g_feats))
        check_no_nan(q_feats, 'q_feats', allow_inf=False)
        check_no_nan(g_feats, 'g_feats', allow_inf=False)
        self.q_factors = row_factors(q_feats, metric)
        self.g_factors = row_factors(g_feats, metric)
        self.metric = metric
        self.q_feats, self.g_feats = q_feats, g_feats
        self.shape = (len(q_feats), len(g_feats))
        self.itemsize = q_feats.element_size() if self.is_torch \
            else q_feats.itemsize

    def get(self, rows: np.ndarray):
        """Distances of queries ``rows`` to the whole gallery (new array)."""
        idx = index_tensor(rows, self.q_feats.device) if self.is_torch \
            else rows
        return distance_from_parts(self.q_feats[idx], self.g_feats,
                                   self.metric, self.q_factors[idx],
                                   self.g_factors)


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------
def group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Start index of every run of equal values in a sorted array."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _float_keys(values: np.ndarray) -> np.ndarray:
    """Unsigned integers that sort like the float values (``-0.0 == 0.0``).
    """
    # Adding +0.0 turns -0.0 into 0.0; the copy is also float32.
    v = values.astype(np.float32) + np.float32(0)
    bits = v.view(np.uint32)
    negative = (bits >> np.uint32(31)).astype(bool)
    flip = np.where(negative, np.uint32(0xFFFFFFFF), np.uint32(0x80000000))
    return (bits ^ flip).astype(np.uint64)


def _prefix_positions(sub, thresholds, local_row, col, values, junk_cols,
                      mask_buf) -> np.ndarray:
    """Positions by sorting only the items ranked up to a threshold.

    Args:
        sub: Distance rows ``(B, G)``, all gallery columns.
        thresholds: Per row, the largest distance of its wanted items
            (-inf for rows handled elsewhere).
        local_row: Row of each wanted item.
        col, values: Gallery column and distance of each wanted item.
        junk_cols: Always-junk gallery columns (skipped), or None.
        mask_buf: A boolean buffer of at least ``B`` rows of ``G``.
    """
    num_rows, n = sub.shape
    mask = np.less_equal(sub, thresholds[:, None], out=mask_buf[:num_rows])
    if junk_cols is not None:
        mask[:, junk_cols] = False
    flat = np.flatnonzero(mask)
    r = flat // n
    c = flat - r * n
    picked = sub.reshape(-1)[flat] if sub.flags.c_contiguous else sub[r, c]
    # Unique keys (row, distance, column) sort exactly like the ranking.
    col_bits = np.uint64(int(n).bit_length())
    row_shift = np.uint64(32) + col_bits
    keys = r.astype(np.uint64) << row_shift
    keys |= _float_keys(picked) << col_bits
    keys |= c.astype(np.uint64)
    keys.sort()
    pair_row = local_row.astype(np.uint64) << row_shift
    pair_keys = pair_row | (_float_keys(values) << col_bits)
    pair_keys |= col.astype(np.uint64)
    return (np.searchsorted(keys, pair_keys) -
            np.searchsorted(keys, pair_row)).astype(np.int64)


def _searchsorted_rows(sorted_rows: np.ndarray, row: np.ndarray,
                       values: np.ndarray) -> np.ndarray:
    """Left insertion points of ``values[i]`` in ``sorted_rows[row[i]]``.

    Args:
        sorted_rows: Rows sorted ascending.
        row: Row of each value, ascending.
        values: Values to place.
    """
    out = np.empty(len(values), dtype=np.int64)
    bounds = np.searchsorted(row, np.arange(len(sorted_rows) + 1))
    for r in np.flatnonzero(bounds[:-1] < bounds[1:]):
        p0, p1 = bounds[r], bounds[r + 1]
        out[p0:p1] = np.searchsorted(sorted_rows[r], values[p0:p1])
    return out


def _tied_positions(rows: np.ndarray, local_row: np.ndarray, kcol: np.ndarray,
                    values: np.ndarray) -> np.ndarray:
    """Exact positions of wanted items that share their distance.

    Args:
        rows: Unsorted distance rows (kept columns), one per distinct
            ``local_row``.
        local_row: Index into ``rows`` for each item.
        kcol: Kept-column index of each item.
        values: Distance of each item.
    """
    out = np.empty(len(kcol), dtype=np.int64)
    for r in np.unique(local_row):
        sel = np.flatnonzero(local_row == r)
        row = rows[r]
        if len(sel) > _TIE_SCAN_LIMIT:
            order = np.argsort(row, kind='stable')
            inverse = np.empty_like(order)
            inverse[order] = np.arange(len(order))
            out[sel] = inverse[kcol[sel]]
            continue
        for i in sel:
            v, c = values[i], kcol[i]
            out[i] = (
                np.count_nonzero(row < v) + np.count_nonzero(row[:c] == v))
    return out


def _sorted_positions(view, rows, local_row, col, values, keep_cols,
                      kept_index, sort_buf) -> np.ndarray:
    """Positions by sorting whole rows (see the module docstring).

    ``sort_buf`` is a buffer of at least ``len(rows)`` rows like ``view``:
    sorting a copy in a buffer already in memory saves the page faults of a
    new array.
    """
    if keep_cols is None:
        block = sort_buf[:len(rows)]
        if rows[-1] - rows[0] + 1 == len(rows):  # a run: no fancy index
            np.copyto(block, view[rows[0]:rows[-1] + 1])
        else:
            np.take(view, rows, axis=0, out=block)
        kcol = col
    else:
        block = view[np.ix_(rows, keep_cols)]
        kcol = kept_index[col]
    block.sort(axis=1)
    # NaN sorts last: the last column tells whether a row holds one.
    if block.dtype.kind == 'f' and np.isnan(block[:, -1]).any():
        raise ValueError('the distances contain NaN; check the model output')
    pos = _searchsorted_rows(block, local_row, values)
    n = block.shape[1]
    # The item itself (or another of equal value) sits at ``pos``; an equal
    # value right after it means a tie to break by index.
    nxt = np.minimum(pos + 1, n - 1)
    tied = (pos + 1 < n) & (block[local_row, nxt] == values)
    if tied.any():
        tie_rows, tie_local = np.unique(local_row[tied], return_inverse=True)
        unsorted = view[rows[tie_rows]]
        if keep_cols is not None:
            unsorted = unsorted[:, keep_cols]
        pos[tied] = _tied_positions(unsorted, tie_local, kcol[tied],
                                    values[tied])
    return pos


def _positions_rows(sub, local_row, col, optional, keep_cols, kept_index,
                    junk_cols, mask_buf, sort_buf) -> np.ndarray:
    """Positions of the wanted items of a few (cache-sized) rows."""
    num_rows, n = sub.shape
    values = sub[local_row, col]
    pos = np.empty(len(col), dtype=np.int64)
    on_prefix = np.zeros(len(col), dtype=bool)
    beyond = np.zeros(len(col), dtype=bool)
    key_bits = 32 + int(n).bit_length() + int(num_rows).bit_length()
    if sub.dtype in (np.float32, np.float16) and key_bits <= 64:
        # Per row, the largest distance of a required item.
        required = ~optional
        thresholds = np.full(num_rows, -np.inf, dtype=sub.dtype)
        np.maximum.at(thresholds, local_row[required], values[required])
        # Estimate from a sample of columns how much of each row ranks
        # before its last required item.
        stride = max(1, n // _SAMPLE_COLUMNS)
        sample = sub[:, ::stride]
        below = np.count_nonzero(sample <= thresholds[:, None], axis=1)
        use_prefix = below <= _PREFIX_FRACTION * sample.shape[1]
        thresholds[~use_prefix] = -np.inf
        on_prefix = use_prefix[local_row]
        # Optional items past the last required one are not needed.
        beyond = on_prefix & optional & (values > thresholds[local_row])
        pos[beyond] = n if kept_index is None else len(keep_cols)
        on_prefix &= ~beyond
    if on_prefix.any():
        pos[on_prefix] = _prefix_positions(sub, thresholds,
                                           local_row[on_prefix],
                                           col[on_prefix], values[on_prefix],
                                           junk_cols, mask_buf)
    on_sort = ~on_prefix & ~beyond
    if on_sort.any():
        sel_rows = np.unique(local_row[on_sort])
        pos[on_sort] = _sorted_positions(
            sub, sel_rows, np.searchsorted(sel_rows, local_row[on_sort]),
            col[on_sort], values[on_sort], keep_cols, kept_index, sort_buf)
    return pos


def _positions_block_numpy(view, local_row, col, optional, keep_cols,
                           kept_index, junk_cols) -> np.ndarray:
    num_rows, n = view.shape
    # Work on a few rows at a time so that they and the mask stay in cache.
    step = max(1, min(num_rows, _CACHE_ELEMENTS // n))
    mask_buf = np.empty((step, n), dtype=bool)
    sort_buf = np.empty((step, n), dtype=view.dtype)
    bounds = np.searchsorted(local_row, np.arange(0, num_rows + step, step))
    pos = np.empty(len(col), dtype=np.int64)
    for i, r0 in enumerate(range(0, num_rows, step)):
        p0, p1 = bounds[i], bounds[i + 1]
        if p0 < p1:
            pos[p0:p1] = _positions_rows(view[r0:r0 + step],
                                         local_row[p0:p1] - r0, col[p0:p1],
                                         optional[p0:p1], keep_cols,
                                         kept_index, junk_cols, mask_buf,
                                         sort_buf)
    return pos


def _count_dtype(dtype: np.dtype) -> Optional[np.dtype]:
    """The dtype the numba kernel ranks ``dtype`` values in (exactly), or
    None for one it cannot handle; few dtypes mean few compiled kernels."""
    if dtype == np.float16:
        return np.dtype(np.float32)
    if dtype.kind == 'i' or (dtype.kind == 'u' and dtype.itemsize < 8):
        return np.dtype(np.int64)
    if dtype in (np.float32, np.float64, np.uint64):
        return dtype
    return None


def _positions_block_numba(view, local_row, col, optional, keep_cols,
                           kept_index, junk_cols) -> np.ndarray:
    """:func:`_positions_block_numpy` by counting (see :mod:`.rank_numba`);
    rows with many wanted items, and dtypes the kernel lacks, are sorted.
    """
    dtype = _count_dtype(view.dtype)
    if dtype is None:
        return _positions_block_numpy(view, local_row, col, optional,
                                      keep_cols, kept_index, junk_cols)
    counts = np.bincount(local_row, minlength=len(view))
    on_sort = counts > _COUNT_LIMIT
    sorted_item = on_sort[local_row]
    pos = np.empty(len(col), dtype=np.int64)
    if sorted_item.any():
        rows = np.flatnonzero(on_sort)
        pos[sorted_item] = _positions_block_numpy(
            view[rows], np.searchsorted(rows, local_row[sorted_item]),
            col[sorted_item], optional[sorted_item], keep_cols, kept_index,
            junk_cols)
    counted = ~sorted_item
    if counted.any():
        counts[on_sort] = 0
        row_start = np.r_[0, np.cumsum(counts)]
        kcol = col[counted] if keep_cols is None \
            else kept_index[col[counted]]
        kept = keep_cols if keep_cols is not None \
            else np.zeros(0, dtype=np.int64)
        out = np.empty(len(kcol), dtype=np.int64)
        _numba_kernels().count_positions(
            np.ascontiguousarray(view, dtype=dtype), keep_cols is not None,
            kept, row_start, kcol, optional[counted],
            max(1, _SEGMENT_BYTES // dtype.itemsize), out)
        pos[counted] = out
    return pos


def _positions_block_torch(block: torch.Tensor, local_row: np.ndarray,
                           col: np.ndarray, optional, keep_cols, kept_index,
                           junk_cols) -> np.ndarray:
    device = block.device
    lr = index_tensor(local_row, device)
    if keep_cols is not None:
        block = block[:, index_tensor(keep_cols, device)]
        col = kept_index[col]
    cc = index_tensor(col, device)
    values = block[lr, cc]
    sorted_rows = torch.sort(block, dim=1).values
    if sorted_rows.is_floating_point() and bool(
            torch.isnan(sorted_rows[:, -1]).any()):
        raise ValueError('the distances contain NaN; check the model output')
    # Pad the items of each row into a rectangle for a batched search.
    counts = torch.bincount(lr, minlength=sorted_rows.shape[0])
    starts = torch.cumsum(counts, 0) - counts
    slot = torch.arange(len(lr), device=device) - starts[lr]
    fill = float('inf') if sorted_rows.is_floating_point() \
        else torch.iinfo(sorted_rows.dtype).max
    padded = torch.full((sorted_rows.shape[0], int(counts.max())),
                        fill,
                        dtype=sorted_rows.dtype,
                        device=device)
    padded[lr, slot] = values
    pos = torch.searchsorted(sorted_rows, padded)[lr, slot]
    n = sorted_rows.shape[1]
    nxt = torch.clamp(pos + 1, max=n - 1)
    tied = (pos + 1 < n) & (sorted_rows[lr, nxt] == values)
    del sorted_rows
    if bool(tied.any()):
        tie_rows, tie_local = torch.unique(lr[tied], return_inverse=True)
        order = torch.sort(block[tie_rows], dim=1, stable=True).indices
        inverse = torch.empty_like(order)
        inverse.scatter_(
            1, order,
            torch.arange(n, device=device).expand(len(order), n).contiguous())
        pos[tied] = inverse[tie_local, cc[tied]]
    return pos.cpu().numpy().astype(np.int64)


def pair_positions(source,
                   g_is_junk: np.ndarray,
                   pair_q: np.ndarray,
                   pair_g: np.ndarray,
                   optional: Optional[np.ndarray] = None,
                   chunk_size: Optional[int] = None,
                   backend: str = 'auto') -> np.ndarray:
    """0-based position of each (query, gallery item) pair in the ranking.

    The ranking of a query is its distance row without the columns where
    ``g_is_junk`` is True, ordered by distance with ties broken by gallery
    index. The position counts the non-junk items ranked before the item.

    Args:
        source (MatrixRows | FeatureRows): Where distance rows come from.
        g_is_junk (np.ndarray): Boolean, per gallery item.
        pair_q (np.ndarray): Query index of each pair, sorted.
        pair_g (np.ndarray): Gallery index of each pair (not junk).
        optional (np.ndarray, optional): Boolean per pair: the position of
            an optional pair ranked after every other pair of its query
            may be reported as the number of non-junk columns instead
            (junk ranked after the last match changes nothing).
        chunk_size (int, optional): Query rows per block.
        backend (str): CPU kernel, one of :data:`BACKENDS`; CUDA tensors
            are always ranked with torch. Defaults to ``'auto'``.

    Returns:
        np.ndarray: int64 positions, one per pair.
    """
    pos = np.empty(len(pair_q), dtype=np.int64)
    if len(pair_q) == 0:
        return pos
    if optional is None:
        optional = np.zeros(len(pair_q), dtype=bool)
    keep_cols = kept_index = junk_cols = None
    if g_is_junk.any():
        keep_cols = np.flatnonzero(~g_is_junk)
        junk_cols = np.flatnonzero(g_is_junk)
        kept_index = np.cumsum(~g_is_junk) - 1
    step = block_rows(source.shape[1], source.itemsize, chunk_size,
                      GPU_BLOCK_BYTES if source.is_torch else BLOCK_BYTES)
    if source.is_torch:
        kernel = _positions_block_torch
    elif resolve_backend(backend) == 'numba':
        kernel = _positions_block_numba
    else:
        kernel = _positions_block_numpy
    # Blocks are runs of consecutive queries, so that the rows of a matrix
    # are a view, not a copy; queries without pairs in a run are ignored.
    for lo in range(int(pair_q[0]), int(pair_q[-1]) + 1, step):
        p0, p1 = np.searchsorted(pair_q, [lo, lo + step])
        if p0 == p1:
            continue
        rows = np.arange(lo, min(lo + step, int(pair_q[p1 - 1]) + 1))
        view = source.get(rows)
        if source.check_blocks:
            check_no_nan(view, 'the distances')
        pos[p0:p1] = kernel(view, pair_q[p0:p1] - lo, pair_g[p0:p1],
                            optional[p0:p1], keep_cols, kept_index, junk_cols)
    return pos
