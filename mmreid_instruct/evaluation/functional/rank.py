"""Exact rank metrics (CMC, mAP, mINP) of re-identification rankings.

Only the ranks of a query's true matches are needed, not a full argsort:
:mod:`.rank_positions` finds the position of every same-identity gallery
item in its query's ranking; the rank of a match among non-junk items is
its position minus the junk ranked before it. Rows are processed in
blocks, so distances can also be computed block by block from features.
"""
import warnings
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from .distance import ArrayLike
from .rank_list import stable_topk
from .rank_positions import (FeatureRows, MatrixRows, block_rows, check_no_nan,
                             group_starts, pair_positions, resolve_backend)

#: Accepted values of ``clothes_mode``.
CLOTHES_MODES = (None, 'cc', 'sc')


# ---------------------------------------------------------------------------
# Input checking
# ---------------------------------------------------------------------------
def _to_label_array(values, name: str, length: int, what: str) -> np.ndarray:
    """Return ``values`` as a 1-D int64 numpy array of ``length`` entries."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f'{name} must be 1-D, got shape {arr.shape}')
    if len(arr) != length:
        raise ValueError(f'{name} has {len(arr)} entries but there are '
                         f'{length} {what}')
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f'{name} must hold integers, got dtype {arr.dtype}')
    return arr.astype(np.int64, copy=False)


class _Labels:
    """Checked labels and matching rules of one evaluation.

    A gallery item is *junk* for a query (removed before ranking) when its
    pid is in ``junk_pids``, or when it is a *positive* (same pid; with
    ``match_clothes`` also the same clothes) seen by the query's camera, or,
    under ``clothes_mode``, a positive with the same (``'cc'``) or a
    different (``'sc'``) outfit. Every other positive is a true match.
    """

    def __init__(self, num_query, num_gallery, q_pids, g_pids, q_camids,
                 g_camids, q_clothes_ids, g_clothes_ids, clothes_mode,
                 match_clothes, junk_pids):
        q_what, g_what = 'queries', 'gallery items'
        self.q_pids = _to_label_array(q_pids, 'q_pids', num_query, q_what)
        self.g_pids = _to_label_array(g_pids, 'g_pids', num_gallery, g_what)
        if (q_camids is None) != (g_camids is None):
            raise ValueError('q_camids and g_camids must both be given or '
                             'both be None (no camera filtering)')
        self.q_camids = self.g_camids = None
        if q_camids is not None:
            self.q_camids = _to_label_array(q_camids, 'q_camids', num_query,
                                            q_what)
            self.g_camids = _to_label_array(g_camids, 'g_camids', num_gallery,
                                            g_what)
        if clothes_mode not in CLOTHES_MODES:
            raise ValueError(f'clothes_mode must be one of {CLOTHES_MODES}, '
                             f'got {clothes_mode!r}')
        if clothes_mode is not None and match_clothes:
            raise ValueError('clothes_mode and match_clothes=True cannot be '
                             'combined: match_clothes already decides what '
                             'same-pid items in other clothes are')
        self.clothes_mode = clothes_mode
        self.match_clothes = bool(match_clothes)
        self.q_clothes = self.g_clothes = None
        if clothes_mode is not None or self.match_clothes:
            option = (f'clothes_mode={clothes_mode!r}'
                      if clothes_mode else 'match_clothes=True')
            if q_clothes_ids is None or g_clothes_ids is None:
                raise ValueError(f'{option} needs q_clothes_ids and '
                                 'g_clothes_ids')
            self.q_clothes = _to_label_array(q_clothes_ids, 'q_clothes_ids',
                                             num_query, q_what)
            self.g_clothes = _to_label_array(g_clothes_ids, 'g_clothes_ids',
                                             num_gallery, g_what)
        try:
            self.junk_pids = np.asarray([int(p) for p in junk_pids],
                                        dtype=np.int64)
        except (TypeError, ValueError):
            raise TypeError('junk_pids must be a sequence of integers, got '
                            f'{junk_pids!r}') from None
        self.g_is_junk = np.isin(self.g_pids, self.junk_pids)

    def classify(self, qi: np.ndarray, gj: np.ndarray):
        """Return ``(is_match, is_junk)`` for query/gallery index pairs."""
        positive = self.q_pids[qi] == self.g_pids[gj]
        if self.match_clothes:
            positive &= self.q_clothes[qi] == self.g_clothes[gj]
        removed = np.zeros_like(positive)
        if self.q_camids is not None:
            removed |= self.q_camids[qi] == self.g_camids[gj]
        if self.clothes_mode == 'cc':
            removed |= self.q_clothes[qi] == self.g_clothes[gj]
        elif self.clothes_mode == 'sc':
            removed |= self.q_clothes[qi] != self.g_clothes[gj]
        junk = (positive & removed) | self.g_is_junk[gj]
        return positive & ~junk, junk

    def same_pid_pairs(self):
        """All (query, gallery) pairs with the same pid, junk pids excluded.

        Returns:
            tuple: ``pair_q`` (query index, ascending) and ``pair_g``
            (gallery index, ascending within a query).
        """
        cols = np.flatnonzero(~self.g_is_junk)
        col_pids = self.g_pids[cols]
        order = np.argsort(col_pids, kind='stable')
        sorted_pids = col_pids[order]
        lo = np.searchsorted(sorted_pids, self.q_pids, side='left')
        hi = np.searchsorted(sorted_pids, self.q_pids, side='right')
        counts = hi - lo
        pair_q = np.repeat(np.arange(len(self.q_pids)), counts)
        starts = np.cumsum(counts) - counts
        offsets = (
            np.arange(counts.sum()) - np.repeat(starts, counts) +
            np.repeat(lo, counts))
        return pair_q, cols[order[offsets]]


def _check_options(max_rank, ap_topk) -> None:
    if isinstance(max_rank, bool) or not isinstance(max_rank,
                                                    (int, np.integer)) \
            or max_rank < 1:
        raise ValueError(f'max_rank must be a positive integer, got '
                         f'{max_rank!r}')
    if ap_topk is not None and (isinstance(ap_topk, bool)
                                or not isinstance(ap_topk, (int, np.integer))
                                or ap_topk < 1):
        raise ValueError(f'ap_topk must be None or a positive integer, got '
                         f'{ap_topk!r}')


# ---------------------------------------------------------------------------
# From positions to per-query AP, INP and first-match rank
# ---------------------------------------------------------------------------
def _match_stats(query: np.ndarray, rank: np.ndarray):
    """AP, INP and first-match rank per query from the ranks of its matches.

    Args:
        query: Query of every match, sorted, and sorted by ``rank`` within
            a query.
        rank: 0-based rank of every match among the non-junk items.

    Returns:
        tuple: ``first_rank``, ``ap``, ``inp``; one entry per query that
        has matches, in query order.
    """
    if len(query) == 0:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty, empty
    starts = group_starts(query)
    group = np.cumsum(np.r_[True, query[1:] != query[:-1]]) - 1
    kth = np.arange(len(query)) - starts[group] + 1
    precision = kth / (rank + 1.0)
    num_matches = np.diff(np.r_[starts, len(query)])
    ap = np.add.reduceat(precision, starts) / num_matches
    last_rank = rank[np.r_[starts[1:], len(query)] - 1]
    inp = num_matches / (last_rank + 1.0)
    return rank[starts], ap, inp


def _full_ranking_stats(source, labels: _Labels, chunk_size, backend):
    """Per-query stats over the whole (junk-free) gallery."""
    pair_q, pair_g = labels.same_pid_pairs()
    is_match, is_junk = labels.classify(pair_q, pair_g)
    valid = np.bincount(pair_q[is_match], minlength=len(labels.q_pids)) > 0
    keep = valid[pair_q] & (is_match | is_junk)
    pair_q, pair_g, is_junk = pair_q[keep], pair_g[keep], is_junk[keep]
    pos = pair_positions(
        source,
        labels.g_is_junk,
        pair_q,
        pair_g,
        optional=is_junk,
        chunk_size=chunk_size,
        backend=backend)
    # Rank among non-junk items = position - junk ranked before it.
    order = np.lexsort((pos, pair_q))
    pair_q, pos, is_junk = pair_q[order], pos[order], is_junk[order]
    junk_seen = np.cumsum(is_junk) - is_junk
    starts = group_starts(pair_q)
    group = np.cumsum(np.r_[True, pair_q[1:] != pair_q[:-1]]) - 1 \
        if len(pair_q) else np.zeros(0, dtype=np.int64)
    rank = pos - (junk_seen - junk_seen[starts][group])
    first_rank, ap, inp = _match_stats(pair_q[~is_junk], rank[~is_junk])
    return valid, first_rank, ap, inp


def _window_stats(source, labels: _Labels, valid: np.ndarray, topk: int,
                  chunk_size):
    """Per-query stats inside the first ``topk`` items of the raw ranking.

    This reproduces the truncated AP of the official Instruct-ReID code: the
    whole gallery is ranked, the first ``topk`` items are kept, the junk
    among them is dropped, and CMC, AP and INP are computed from what is
    left (AP divides by the number of matches inside the window, at least
    one; a query with no match inside counts with AP = INP = 0 and a miss
    at every CMC rank).
    """
    rows = np.flatnonzero(valid)
    step = block_rows(source.shape[1], source.itemsize, chunk_size)
    first_all, ap_all, inp_all = [], [], []
    for b0 in range(0, len(rows), step):
        block_ids = rows[b0:b0 + step]
        block = source.get(block_ids)
        if isinstance(block, torch.Tensor):
            block = block.cpu().numpy()
        if source.check_blocks:
            check_no_nan(block, 'the distances')
        r, c = stable_topk(block, topk)
        is_match, is_junk = labels.classify(block_ids[r], c)
        r, is_match = r[~is_junk], is_match[~is_junk]
        rank = np.arange(len(r)) - np.searchsorted(r, r)
        has = np.bincount(r[is_match], minlength=len(block_ids)) > 0
        first = np.full(len(block_ids), np.iinfo(np.int64).max // 2)
        ap = np.zeros(len(block_ids))
        inp = np.zeros(len(block_ids))
        if has.any():
            f, a, i = _match_stats(r[is_match], rank[is_match])
            first[has], ap[has], inp[has] = f, a, i
        first_all.append(first)
        ap_all.append(ap)
        inp_all.append(inp)
    if not first_all:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty, empty
    return (np.concatenate(first_all), np.concatenate(ap_all),
            np.concatenate(inp_all))


def _summarize(first_rank: np.ndarray, ap: np.ndarray, inp: np.ndarray,
               max_rank: int, num_queries: int) -> Dict:
    num_valid = len(ap)
    if num_valid == 0:
        warnings.warn(
            f'None of the {num_queries} queries has a true match in the '
            'gallery: CMC, mAP and mINP are reported as 0',
            stacklevel=3)
        return dict(
            cmc=np.zeros(max_rank), mAP=0.0, mINP=0.0, num_valid_queries=0)
    hits = np.bincount(
        np.minimum(first_rank, max_rank), minlength=max_rank + 1)[:max_rank]
    return dict(
        cmc=np.cumsum(hits) / num_valid,
        mAP=float(ap.mean()),
        mINP=float(inp.mean()),
        num_valid_queries=int(num_valid))


def _evaluate(source,
              q_pids,
              g_pids,
              q_camids,
              g_camids,
              *,
              max_rank,
              q_clothes_ids,
              g_clothes_ids,
              clothes_mode,
              match_clothes,
              junk_pids,
              ap_topk,
              chunk_size,
              backend='auto') -> Dict:
    _check_options(max_rank, ap_topk)
    backend = resolve_backend(backend)
    num_query, num_gallery = source.shape
    labels = _Labels(num_query, num_gallery, q_pids, g_pids, q_camids,
                     g_camids, q_clothes_ids, g_clothes_ids, clothes_mode,
                     match_clothes, junk_pids)
    block_rows(num_gallery, source.itemsize, chunk_size)  # check it
    valid, first_rank, ap, inp = _full_ranking_stats(source, labels,
                                                     chunk_size, backend)
    if ap_topk is not None and ap_topk < num_gallery:
        first_rank, ap, inp = _window_stats(source, labels, valid,
                                            int(ap_topk), chunk_size)
    return _summarize(first_rank, ap, inp, int(max_rank), num_query)


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------
def evaluate_rank(distmat: ArrayLike,
                  q_pids: ArrayLike,
                  g_pids: ArrayLike,
                  q_camids: Optional[ArrayLike],
                  g_camids: Optional[ArrayLike],
                  *,
                  max_rank: int = 50,
                  q_clothes_ids: Optional[ArrayLike] = None,
                  g_clothes_ids: Optional[ArrayLike] = None,
                  clothes_mode: Optional[str] = None,
                  match_clothes: bool = False,
                  junk_pids: Sequence[int] = (-1, ),
                  ap_topk: Optional[int] = None,
                  chunk_size: Optional[int] = None,
                  backend: str = 'auto') -> Dict:
    """CMC, mAP and mINP of the rankings given by a distance matrix.

    For every query the gallery is ranked by increasing distance; equal
    distances are ordered by gallery index (like a stable sort), so results
    are exactly reproducible. Junk items are removed before ranking (see
    below); queries with no true match left are skipped and only counted.
    AP is the mean of the precision at each true match over all true
    matches; INP is the number of true matches divided by the rank of the
    last one.

    A gallery item is **junk** for a query when its pid is in ``junk_pids``
    or when it has the query's pid and the query's camera (Market-style).
    ``clothes_mode='cc'`` also makes same-pid items in the query's clothes
    junk (clothes-changing), ``clothes_mode='sc'`` makes same-pid items in
    other clothes junk (same-clothes). With ``match_clothes=True`` (the
    instruction-defined tasks ``li`` and ``ctcc``) a true match must have the
    query's pid *and* clothes id, and same-pid items in other clothes are
    ordinary negatives, not junk.

    Args:
        distmat (np.ndarray | torch.Tensor): ``(num_query, num_gallery)``
            distances (smaller is closer). A CUDA tensor is ranked on its
            GPU.
        q_pids, g_pids (array-like): Integer person ids.
        q_camids, g_camids (array-like | None): Integer camera ids; both
            None to disable the same-camera rule (e.g. text queries).
        max_rank (int): Length of the CMC curve. It may exceed the gallery
            size. Defaults to 50.
        q_clothes_ids, g_clothes_ids (array-like, optional): Integer outfit
            ids, needed by ``clothes_mode`` and ``match_clothes``.
        clothes_mode (str, optional): None, ``'cc'`` or ``'sc'``.
        match_clothes (bool): Require the same clothes for a true match.
            Defaults to False.
        junk_pids (Sequence[int]): Pids whose gallery items are always junk.
            Defaults to ``(-1,)``.
        ap_topk (int, optional): Compatibility switch only: compute CMC,
            AP and INP from the first ``ap_topk`` items of the raw ranking,
            as the official Instruct-ReID code does with 500 (there with
            ``junk_pids=()``). Which queries count is still decided on the
            whole gallery. Defaults to None (standard, untruncated).
        chunk_size (int, optional): Query rows per block; by default a
            block holds about 32 MiB of distances.
        backend (str): How CPU rows are ranked: ``'numpy'`` (sorting
            passes), ``'numba'`` (a compiled counting kernel, several
            times faster on weak models; needs the optional ``numba``
            package) or ``'auto'`` (numba when it can be imported). All
            give identical results; CUDA tensors are always ranked with
            torch. Defaults to ``'auto'``.

    Returns:
        dict: ``cmc`` (np.ndarray of ``max_rank`` fractions), ``mAP`` and
        ``mINP`` (floats in [0, 1]) and ``num_valid_queries`` (int). When no
        query is valid, a warning is issued and every number is 0.

    Example:
        >>> distmat = np.array([[0.1, 0.5, 0.3]])
        >>> res = evaluate_rank(distmat, [1], [2, 1, 1], [0], [1, 1, 1],
        ...                     max_rank=3)
        >>> res['cmc'].tolist(), res['mAP']  # matches at ranks 2 and 3
        ([0.0, 1.0, 1.0], 0.5833333333333333)
    """
    source = MatrixRows(distmat)
    return _evaluate(
        source,
        q_pids,
        g_pids,
        q_camids,
        g_camids,
        max_rank=max_rank,
        q_clothes_ids=q_clothes_ids,
        g_clothes_ids=g_clothes_ids,
        clothes_mode=clothes_mode,
        match_clothes=match_clothes,
        junk_pids=junk_pids,
        ap_topk=ap_topk,
        chunk_size=chunk_size,
        backend=backend)


def evaluate_rank_from_features(q_feats: ArrayLike,
                                g_feats: ArrayLike,
                                q_pids: ArrayLike,
                                g_pids: ArrayLike,
                                q_camids: Optional[ArrayLike],
                                g_camids: Optional[ArrayLike],
                                *,
                                metric: str = 'euclidean',
                                chunk_size: Optional[int] = None,
                                max_rank: int = 50,
                                q_clothes_ids: Optional[ArrayLike] = None,
                                g_clothes_ids: Optional[ArrayLike] = None,
                                clothes_mode: Optional[str] = None,
                                match_clothes: bool = False,
                                junk_pids: Sequence[int] = (-1, ),
                                ap_topk: Optional[int] = None,
                                backend: str = 'auto') -> Dict:
    """:func:`evaluate_rank` of features, without the full distance matrix.

    Distances are computed for a block of ``chunk_size`` queries at a time
    (by default about 32 MiB of distances) and ranked at once, so the
    memory used is that of one block, not of the whole matrix. The numbers
    equal ``evaluate_rank(pairwise_distance(q_feats, g_feats, metric), ...)``
    (both compute every distance with the same operations).

    Args:
        q_feats (np.ndarray | torch.Tensor): Query features ``(Q, C)``.
        g_feats (np.ndarray | torch.Tensor): Gallery features ``(G, C)``.
            CUDA tensors are evaluated on their GPU.
        metric (str): ``'euclidean'`` (squared; ranks like Euclidean) or
            ``'cosine'`` (1 - cosine similarity). Defaults to
            ``'euclidean'``.
        chunk_size (int, optional): Queries per block.
        Others: as in :func:`evaluate_rank`.

    Returns:
        dict: As :func:`evaluate_rank`.

    Example:
        >>> q = np.array([[0., 0.]])
        >>> g = np.array([[1., 0.], [0., 2.], [5., 5.]])
        >>> evaluate_rank_from_features(q, g, [1], [1, 2, 1], None, None,
        ...                             max_rank=1)['mAP']
        0.8333333333333333
    """
    source = FeatureRows(q_feats, g_feats, metric)
    return _evaluate(
        source,
        q_pids,
        g_pids,
        q_camids,
        g_camids,
        max_rank=max_rank,
        q_clothes_ids=q_clothes_ids,
        g_clothes_ids=g_clothes_ids,
        clothes_mode=clothes_mode,
        match_clothes=match_clothes,
        junk_pids=junk_pids,
        ap_topk=ap_topk,
        chunk_size=chunk_size,
        backend=backend)
