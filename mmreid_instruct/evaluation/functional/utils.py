"""Helpers shared by the functional rank metrics: argument checks, row
sources (blocks of distance rows from a matrix or from features) and the
stable top-k of a block."""
from typing import Iterator, Optional, Tuple

import numpy as np
import torch

from .distance import (check_feature_pair, check_metric, distance_from_parts,
                       row_factors)

#: Bytes of distances per block of rows on the CPU.
BLOCK_BYTES = 32 * 2**20

#: Bytes of distances per block of rows on a GPU.
GPU_BLOCK_BYTES = 256 * 2**20


def check_positive_int(value, name: str, optional: bool = False):
    """Return ``value`` as an ``int`` after checking that it is one.

    Args:
        value: The value to check.
        name (str): The argument's name, for the error message.
        optional (bool): Whether None is accepted (and returned).
            Defaults to False.

    Returns:
        int | None: ``value``.

    Example:
        >>> import numpy as np
        >>> check_positive_int(np.int64(3), 'max_rank')
        3
    """
    if value is None and optional:
        return None
    if isinstance(value,
                  bool) or not isinstance(value,
                                          (int, np.integer)) or value < 1:
        expected = 'None or a positive integer' if optional \
            else 'a positive integer'
        raise ValueError(f'{name} must be {expected}, got {value!r}')
    return int(value)


def index_tensor(idx: np.ndarray, device) -> torch.Tensor:
    """A numpy index array as a long tensor on ``device``."""
    return torch.as_tensor(idx, dtype=torch.long, device=device)


def check_not_empty(num_query: int, num_gallery: int) -> None:
    """Raise a clear error for an empty query set or gallery."""
    if num_query == 0:
        raise ValueError('the query set is empty: nothing to evaluate')
    if num_gallery == 0:
        raise ValueError('the gallery is empty: nothing to rank')


def _first_bad_row(values, allow_inf: bool) -> Optional[int]:
    """The first row holding NaN (or infinity, unless allowed), or None."""
    is_torch = isinstance(values, torch.Tensor)
    floating = values.is_floating_point() if is_torch \
        else np.issubdtype(values.dtype, np.floating)
    if not floating or values.reshape(-1).shape[0] == 0:
        return None
    lib = torch if is_torch else np
    # A reduction probe first: NaN propagates through min (and, with
    # infinities, through sum); the exact scan runs only on suspicion.
    probe = values.min() if allow_inf else values.sum()
    if not bool(lib.isnan(probe)) and (allow_inf or bool(lib.isfinite(probe))):
        return None
    bad = lib.isnan(values) if allow_inf else ~lib.isfinite(values)
    bad_rows = bad.reshape(len(bad), -1).any(1)
    if not bool(bad_rows.any()):
        return None
    return int(bad_rows.nonzero()[0][0])


def check_no_nan(values, name: str, allow_inf: bool = True) -> None:
    """Raise if ``values`` holds NaN (or, unless allowed, infinity).

    Args:
        values (np.ndarray | torch.Tensor): Distances or features.
        name (str): What ``values`` are, for the error message.
        allow_inf (bool): Whether infinite values are fine. Defaults to
            True.

    Example:
        >>> import numpy as np
        >>> check_no_nan(np.array([[0., np.inf]]), 'distmat')
    """
    row = _first_bad_row(values, allow_inf)
    if row is not None:
        what = 'NaN' if allow_inf else 'NaN or infinite values'
        raise ValueError(f'{name} contains {what} (first in row {row}); '
                         'check the model output')


def block_rows(num_cols: int,
               itemsize: int,
               chunk_size: Optional[int] = None,
               budget: int = BLOCK_BYTES) -> int:
    """Rows per block: ``chunk_size`` if given, else ``budget`` bytes.

    Example:
        >>> block_rows(1024, 4, budget=2**20)
        256
    """
    if chunk_size is not None:
        return check_positive_int(chunk_size, 'chunk_size', optional=True)
    return max(1, budget // max(1, num_cols * itemsize))


def stable_topk(block: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """The ``k`` closest columns of every row, ties broken by column.

    Args:
        block (np.ndarray): ``(B, G)`` distances.
        k (int): How many columns per row (at most ``G``).

    Returns:
        tuple: ``rows`` and ``cols`` (flat, ordered by row then rank) of the
        ``B * k`` selected entries.

    Example:
        >>> import numpy as np
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


class RowSource:
    """Where blocks of distance rows come from (see the subclasses).

    Subclasses set ``shape`` (``(num_query, num_gallery)``), ``itemsize``
    (bytes per distance), ``is_torch`` (blocks are torch tensors, e.g. on a
    GPU) and ``check_blocks`` (each block needs a NaN check), and define
    :meth:`get`.
    """
    shape: Tuple[int, int]
    itemsize: int
    is_torch: bool = False
    check_blocks: bool = False

    def get(self, rows: np.ndarray):
        """Distance rows ``rows`` (sorted query indices)."""
        raise NotImplementedError

    def blocks(self,
               rows: np.ndarray,
               chunk_size: Optional[int] = None,
               budget: int = BLOCK_BYTES) -> Iterator[tuple]:
        """Yield ``(ids, block)``: ``rows`` in blocks of ``chunk_size``
        rows (by default ``budget`` bytes of distances), checked for NaN.
        """
        step = block_rows(self.shape[1], self.itemsize, chunk_size, budget)
        for b0 in range(0, len(rows), step):
            ids = rows[b0:b0 + step]
            block = self.get(ids)
            if self.check_blocks:
                check_no_nan(block, 'the distances')
            yield ids, block

    def numpy_blocks(self,
                     rows: np.ndarray,
                     chunk_size: Optional[int] = None) -> Iterator[tuple]:
        """:meth:`blocks` with every block as a numpy array."""
        for ids, block in self.blocks(rows, chunk_size):
            if isinstance(block, torch.Tensor):
                block = block.cpu().numpy()
            yield ids, block


class MatrixRows(RowSource):
    """Blocks of rows of a full distance matrix (numpy or torch).

    A CPU tensor is ranked as a numpy array; a CUDA tensor on its GPU.

    Args:
        distmat (array-like): The ``(num_query, num_gallery)`` distances.

    Example:
        >>> import numpy as np
        >>> MatrixRows([[0.5, 0.2]]).get(np.array([0])).tolist()
        [[0.5, 0.2]]
    """

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
        # The whole matrix is checked once, so blocks need no check.
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


class FeatureRows(RowSource):
    """Blocks of distance rows computed from query and gallery features.

    Args:
        q_feats (np.ndarray | torch.Tensor): Query features ``(Q, C)``.
        g_feats (np.ndarray | torch.Tensor): Gallery features ``(G, C)``.
        metric (str): ``'euclidean'`` or ``'cosine'``.

    Example:
        >>> import numpy as np
        >>> rows = FeatureRows(np.ones((1, 2)), np.zeros((3, 2)), 'euclidean')
        >>> rows.get(np.array([0])).tolist()
        [[2.0, 2.0, 2.0]]
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
