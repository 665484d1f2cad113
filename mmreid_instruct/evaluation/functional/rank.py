"""Exact rank metrics (CMC, mAP, mINP) of re-identification rankings.

Only the ranks of a query's true matches are needed, not a full argsort:
:func:`~.rank_positions.pair_positions` finds the position of every
same-identity gallery item in its query's ranking; the rank of a match
among non-junk items is its position minus the junk ranked before it. Rows
are processed in blocks, so distances can also be computed block by block
from features.
"""
import warnings
from typing import Dict, Optional, Tuple

import numpy as np

from .distance import ArrayLike
from .rank_positions import pair_positions
from .rank_protocol import MatchRules, RankProtocol
from .utils import FeatureRows, MatrixRows, RowSource, block_rows, stable_topk


def _groups(sorted_keys: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Start index of every run of equal values in a sorted array, and the
    run of every entry."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    new_run = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    return np.flatnonzero(new_run), np.cumsum(new_run) - 1


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
    starts, group = _groups(query)
    kth = np.arange(len(query)) - starts[group] + 1
    precision = kth / (rank + 1.0)
    num_matches = np.diff(np.r_[starts, len(query)])
    ap = np.add.reduceat(precision, starts) / num_matches
    last_rank = rank[np.r_[starts[1:], len(query)] - 1]
    inp = num_matches / (last_rank + 1.0)
    return rank[starts], ap, inp


def _full_ranking_stats(source: RowSource, rules: MatchRules,
                        chunk_size: Optional[int]):
    """Per-query stats over the whole (junk-free) gallery, and which
    queries have a true match."""
    pair_q, pair_g = rules.same_pid_pairs()
    is_match, is_junk = rules.classify(pair_q, pair_g)
    valid = np.bincount(pair_q[is_match], minlength=len(rules.q_pids)) > 0
    keep = valid[pair_q] & (is_match | is_junk)
    pair_q, pair_g, is_junk = pair_q[keep], pair_g[keep], is_junk[keep]
    pos = pair_positions(
        source,
        rules.g_is_junk,
        pair_q,
        pair_g,
        optional=is_junk,
        chunk_size=chunk_size)
    # Rank among non-junk items = position - junk ranked before it.
    order = np.lexsort((pos, pair_q))
    pair_q, pos, is_junk = pair_q[order], pos[order], is_junk[order]
    junk_seen = np.cumsum(is_junk) - is_junk
    starts, group = _groups(pair_q)
    rank = pos - (junk_seen - junk_seen[starts][group])
    first_rank, ap, inp = _match_stats(pair_q[~is_junk], rank[~is_junk])
    return valid, first_rank, ap, inp


def _window_stats(source: RowSource, rules: MatchRules, valid: np.ndarray,
                  chunk_size: Optional[int]):
    """Per-query stats inside the first ``ap_topk`` items of the raw
    ranking, as the official Instruct-ReID code computes them: the first
    ``ap_topk`` items are kept, the junk among them dropped, and CMC, AP
    and INP computed from what is left (AP divides by the number of matches
    inside the window, at least one; a query with no match inside counts
    with AP = INP = 0 and a miss at every CMC rank)."""
    first_all, ap_all, inp_all = [], [], []
    for block_ids, block in source.numpy_blocks(
            np.flatnonzero(valid), chunk_size):
        r, c = stable_topk(block, rules.protocol.ap_topk)
        is_match, is_junk = rules.classify(block_ids[r], c)
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
            stacklevel=4)
        return dict(
            cmc=np.zeros(max_rank), mAP=0.0, mINP=0.0, num_valid_queries=0)
    hits = np.bincount(
        np.minimum(first_rank, max_rank), minlength=max_rank + 1)[:max_rank]
    return dict(
        cmc=np.cumsum(hits) / num_valid,
        mAP=float(ap.mean()),
        mINP=float(inp.mean()),
        num_valid_queries=int(num_valid))


def evaluate_source(source: RowSource,
                    rules: MatchRules,
                    chunk_size: Optional[int] = None) -> Dict:
    """:func:`evaluate_rank` of any row source (e.g. features)."""
    block_rows(source.shape[1], source.itemsize, chunk_size)  # check it
    valid, first_rank, ap, inp = _full_ranking_stats(source, rules, chunk_size)
    ap_topk = rules.protocol.ap_topk
    if ap_topk is not None and ap_topk < source.shape[1]:
        first_rank, ap, inp = _window_stats(source, rules, valid, chunk_size)
    return _summarize(first_rank, ap, inp, rules.protocol.max_rank,
                      source.shape[0])


def evaluate_rank(distmat: ArrayLike,
                  q_pids: ArrayLike,
                  g_pids: ArrayLike,
                  q_camids: Optional[ArrayLike] = None,
                  g_camids: Optional[ArrayLike] = None,
                  q_clothes_ids: Optional[ArrayLike] = None,
                  g_clothes_ids: Optional[ArrayLike] = None,
                  *,
                  protocol: Optional[RankProtocol] = None,
                  chunk_size: Optional[int] = None) -> Dict:
    """CMC, mAP and mINP of the rankings given by a distance matrix.

    For every query the gallery is ranked by increasing distance; equal
    distances are ordered by gallery index (like a stable sort), so results
    are exactly reproducible. Junk items (see :class:`RankProtocol`) are
    removed before ranking; queries with no true match left are skipped
    and only counted. AP is the mean of the precision at each true match
    over all true matches; INP is the number of true matches divided by
    the rank of the last one.

    Args:
        distmat (np.ndarray | torch.Tensor): ``(num_query, num_gallery)``
            distances (smaller is closer). A CUDA tensor is ranked on its
            GPU.
        q_pids, g_pids (array-like): Integer person ids.
        q_camids, g_camids (array-like, optional): Integer camera ids,
            needed when ``protocol.use_camera``.
        q_clothes_ids, g_clothes_ids (array-like, optional): Integer outfit
            ids, needed by ``protocol.clothes_mode`` and
            ``protocol.match_clothes``.
        protocol (RankProtocol, optional): The rules. Defaults to
            ``RankProtocol()`` (Market-style).
        chunk_size (int, optional): Query rows per block; by default a
            block holds about 32 MiB of distances.

    Returns:
        dict: ``cmc`` (np.ndarray of ``max_rank`` fractions), ``mAP`` and
        ``mINP`` (floats in [0, 1]) and ``num_valid_queries`` (int). When no
        query is valid, a warning is issued and every number is 0.

    Example:
        >>> import numpy as np
        >>> distmat = np.array([[0.1, 0.5, 0.3]])
        >>> res = evaluate_rank(distmat, [1], [2, 1, 1], [0], [1, 1, 1],
        ...                     protocol=RankProtocol(max_rank=3))
        >>> res['cmc'].tolist(), res['mAP']  # matches at ranks 2 and 3
        ([0.0, 1.0, 1.0], 0.5833333333333333)
    """
    source = MatrixRows(distmat)
    rules = MatchRules(protocol or RankProtocol(), source.shape, q_pids,
                       g_pids, q_camids, g_camids, q_clothes_ids,
                       g_clothes_ids)
    return evaluate_source(source, rules, chunk_size)


def evaluate_rank_from_features(q_feats: ArrayLike,
                                g_feats: ArrayLike,
                                q_pids: ArrayLike,
                                g_pids: ArrayLike,
                                q_camids: Optional[ArrayLike] = None,
                                g_camids: Optional[ArrayLike] = None,
                                q_clothes_ids: Optional[ArrayLike] = None,
                                g_clothes_ids: Optional[ArrayLike] = None,
                                *,
                                metric: str = 'euclidean',
                                protocol: Optional[RankProtocol] = None,
                                chunk_size: Optional[int] = None) -> Dict:
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
        Others: as in :func:`evaluate_rank`.

    Returns:
        dict: As :func:`evaluate_rank`.

    Example:
        >>> import numpy as np
        >>> q = np.array([[0., 0.]])
        >>> g = np.array([[1., 0.], [0., 2.], [5., 5.]])
        >>> no_cameras = RankProtocol(max_rank=1, use_camera=False)
        >>> evaluate_rank_from_features(q, g, [1], [1, 2, 1],
        ...                             protocol=no_cameras)['mAP']
        0.8333333333333333
    """
    source = FeatureRows(q_feats, g_feats, metric)
    rules = MatchRules(protocol or RankProtocol(), source.shape, q_pids,
                       g_pids, q_camids, g_camids, q_clothes_ids,
                       g_clothes_ids)
    return evaluate_source(source, rules, chunk_size)
