"""Exact rank metrics (CMC, mAP, mINP) of re-identification rankings.

Only the ranks of a query's true matches are needed, not a full argsort:
:func:`~.rank_positions.pair_positions` finds the position of every
same-identity gallery item in its query's ranking; the rank of a match
among non-junk items is its position minus the junk ranked before it. Rows
are processed in blocks, so distances can also be computed block by block
from features.

Tied distances are ordered as ``RankProtocol.ties`` says: by gallery
index, with the true matches last, or averaged over every order (the
closed forms are derived in ``docs/en/advanced_guides/evaluation.md``).
"""
import logging
import warnings
from typing import Dict, Optional, Tuple

import numpy as np
from mmengine.logging import print_log

from .distance import ArrayLike
from .rank_positions import pair_positions
from .rank_protocol import MatchRules, RankProtocol
from .utils import FeatureRows, MatrixRows, RowSource, block_rows, stable_topk

#: A warning is logged when more than this share of the valid queries have
#: a true match tied in distance with a non-matching gallery item (float32
#: distances of a Market-sized gallery tie by rounding alone for about 1 %).
TIED_QUERY_WARN_SHARE = 0.05


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


class _TieStats:
    """The tie-aware results of the queries whose true matches tie with
    non-matching items (under ``ties='expected'``), and their number.

    Args:
        tied (np.ndarray): Boolean per valid query: a true match ties
            with a non-matching item.
        cmc (np.ndarray, optional): ``(num_tied, max_rank)`` expected CMC
            curves of the tied queries; None unless ``ties='expected'``.
    """

    def __init__(self, tied: np.ndarray, cmc: Optional[np.ndarray] = None):
        self.tied = tied
        self.cmc = cmc


def _harmonic(n: int) -> np.ndarray:
    """Harmonic numbers ``H[0..n]``."""
    return np.r_[0.0, np.cumsum(1.0 / np.arange(1, n + 1))]


def _expected_ap_sum(s, n, m, h, harmonic):
    """Expected sum of the precisions at the ``m`` matches of a tie group
    of ``n`` items ranked in uniformly random order after ``s`` items of
    which ``h`` are matches."""
    spread = harmonic[s + n] - harmonic[s]
    pair = np.divide(m - 1, n - 1, out=np.zeros(len(n)), where=n > 1)
    return m / n * ((h + 1) * spread + pair * (n - (s + 1) * spread))


def _expected_cmc(s, n, m, max_rank):
    """Expected CMC curves of queries whose first tie group holding a
    match starts at rank ``s`` and has ``n`` items, ``m`` of them
    matches."""
    steps = np.arange(max_rank)
    # Probability that the first t items of the group hold no match.
    factor = np.maximum(n[:, None] - m[:, None] - steps, 0) / np.maximum(
        n[:, None] - steps, 1)
    miss = np.cumprod(factor, axis=1)
    t = steps[None, :] - s[:, None]  # items of the group up to rank k, - 1
    miss_at = np.where(t < 0, 1.0,
                       np.take_along_axis(miss, np.clip(t, 0, None), axis=1))
    return 1.0 - miss_at


def _expected_inp(s, n, m, num_matches):
    """Expected INP of a query whose last tie group holding a match
    starts at rank ``s`` and has ``n`` items, ``m`` of them matches."""
    p = np.arange(m, n + 1)
    # P(the last match is the p-th item of the group) = C(p-1, m-1) /
    # C(n, m): weights from the ratio of consecutive terms.
    log_w = np.r_[0.0, np.cumsum(np.log(p[:-1]) - np.log(p[:-1] - m + 1))]
    w = np.exp(log_w - log_w.max())
    return num_matches * float(np.sum(w / (s + p))) / float(w.sum())


def _tie_aware(query, pos, first, size, is_junk, mode, max_rank, valid_ids):
    """Ranks of the matches under a tie rule, and the tie statistics.

    Args:
        query, pos, first, size, is_junk: Per wanted item (true matches
            and junk), sorted by query then position: its query, position
            by index, and its tie group (first position, size) among the
            ranked columns.
        mode (str): ``RankProtocol.ties``.
        max_rank (int): Length of the CMC curve.
        valid_ids (np.ndarray): The queries with a true match, ascending.

    Returns:
        tuple: ``rank`` (int64 per item; by ``mode``, ``'expected'``
        ranks as ``'pessimistic'``), the per-match ``ap``/``inp``
        overrides (``None`` or ``(tied_queries, ap, inp)``) and a
        :class:`_TieStats`.
    """
    starts, group = _groups(query)
    junk_seen = np.cumsum(is_junk) - is_junk
    junk_seen = junk_seen - junk_seen[starts][group]
    index_rank = pos - junk_seen
    # Runs of items of one query in one tie group.
    new_run = np.r_[True, (query[1:] != query[:-1]) |
                    (first[1:] != first[:-1])] if len(query) else \
        np.zeros(0, dtype=bool)
    run_start = np.flatnonzero(new_run)
    run = np.cumsum(new_run) - 1
    run_junk = np.add.reduceat(is_junk.astype(np.int64),
                               run_start) if len(run_start) else run_start
    run_matches = np.diff(np.r_[run_start, len(query)]) - run_junk
    s = (first - junk_seen[run_start][run])  # non-junk items before
    n = size - run_junk[run]  # non-junk items in the group
    m = run_matches[run]
    tied_item = ~is_junk & (n > m)
    tied = np.isin(valid_ids, query[tied_item])
    if mode == 'index':
        return index_rank, None, _TieStats(tied)
    # j: index of a match among the matches of its group.
    match_seen = np.cumsum(~is_junk) - ~is_junk
    j = match_seen - match_seen[run_start][run]
    rank = np.where(is_junk, index_rank, s + (n - m) + j)
    if mode == 'pessimistic' or not tied.any():
        return rank, None, _TieStats(tied)
    # 'expected': recompute the tied queries.
    tied_q = valid_ids[tied]
    # One entry per run holding a match of a tied query: its first match.
    sel = np.isin(query, tied_q) & ~is_junk & (j == 0)
    rq, rs, rn, rm = query[sel], s[sel], n[sel], m[sel]
    rh = (match_seen - match_seen[starts][group])[sel]  # matches before
    harmonic = _harmonic(int((rs + rn).max()))
    q_start, _ = _groups(rq)
    q_end = np.r_[q_start[1:], len(rq)] - 1
    num_matches = rh[q_end] + rm[q_end]
    ap = np.add.reduceat(_expected_ap_sum(rs, rn, rm, rh, harmonic),
                         q_start) / num_matches
    inp = np.array([
        _expected_inp(rs[e], rn[e], rm[e], num_matches[i])
        for i, e in enumerate(q_end)
    ])
    cmc = _expected_cmc(rs[q_start], rn[q_start], rm[q_start], max_rank)
    return rank, (tied_q, ap, inp), _TieStats(tied, cmc)


def _full_ranking_stats(source: RowSource, rules: MatchRules,
                        chunk_size: Optional[int]):
    """Per-query stats over the whole (junk-free) gallery, which queries
    have a true match, and the tie statistics."""
    pair_q, pair_g = rules.same_pid_pairs()
    is_match, is_junk = rules.classify(pair_q, pair_g)
    valid = np.bincount(pair_q[is_match], minlength=len(rules.q_pids)) > 0
    keep = valid[pair_q] & (is_match | is_junk)
    pair_q, pair_g, is_junk = pair_q[keep], pair_g[keep], is_junk[keep]
    pos, first, size = pair_positions(
        source,
        rules.g_is_junk,
        pair_q,
        pair_g,
        optional=is_junk,
        chunk_size=chunk_size,
        with_ties=True)
    # Rank among non-junk items = position - junk ranked before it.
    order = np.lexsort((pos, pair_q))
    pair_q, pos, is_junk = pair_q[order], pos[order], is_junk[order]
    protocol = rules.protocol
    rank, override, tie_stats = _tie_aware(pair_q, pos, first[order],
                                           size[order], is_junk, protocol.ties,
                                           protocol.max_rank,
                                           np.flatnonzero(valid))
    first_rank, ap, inp = _match_stats(pair_q[~is_junk], rank[~is_junk])
    if override is not None:
        tied_q, tied_ap, tied_inp = override
        where = np.searchsorted(np.flatnonzero(valid), tied_q)
        ap[where], inp[where] = tied_ap, tied_inp
    return valid, first_rank, ap, inp, tie_stats


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


def _summarize(first_rank: np.ndarray,
               ap: np.ndarray,
               inp: np.ndarray,
               max_rank: int,
               num_queries: int,
               tie_stats: Optional[_TieStats] = None) -> Dict:
    num_valid = len(ap)
    if num_valid == 0:
        warnings.warn(
            f'None of the {num_queries} queries has a true match in the '
            'gallery: CMC, mAP and mINP are reported as 0',
            stacklevel=4)
        return dict(
            cmc=np.zeros(max_rank), mAP=0.0, mINP=0.0, num_valid_queries=0)
    if tie_stats is not None and tie_stats.cmc is not None:
        # Expected curves of the tied queries, counted hits of the others.
        untied = ~tie_stats.tied
        hits = np.bincount(
            np.minimum(first_rank[untied], max_rank),
            minlength=max_rank + 1)[:max_rank]
        cmc = (np.cumsum(hits) + tie_stats.cmc.sum(0)) / num_valid
    else:
        hits = np.bincount(
            np.minimum(first_rank, max_rank),
            minlength=max_rank + 1)[:max_rank]
        cmc = np.cumsum(hits) / num_valid
    return dict(
        cmc=cmc,
        mAP=float(ap.mean()),
        mINP=float(inp.mean()),
        num_valid_queries=int(num_valid))


def _warn_ties(tie_stats: _TieStats, ties: str, name: Optional[str]) -> None:
    """Log a warning when many queries have a true match tied with a
    non-matching item (see :data:`TIED_QUERY_WARN_SHARE`)."""
    num_tied, num_valid = int(tie_stats.tied.sum()), len(tie_stats.tied)
    if num_valid == 0 or num_tied <= TIED_QUERY_WARN_SHARE * num_valid:
        return
    how = dict(
        index='broken by gallery index, which favours the items listed '
        'first',
        pessimistic='broken against the true matches (a lower bound)',
        expected='averaged over every order of the tied items')[ties]
    print_log(
        f'{name or "evaluation"}: {num_tied} of {num_valid} queries '
        f'({num_tied / num_valid:.1%}) have a true match at exactly the '
        'same distance as a non-matching gallery item (e.g. collapsed or '
        f'quantised features); the ties were {how} (RankProtocol(ties='
        f'{ties!r}); see docs/en/advanced_guides/evaluation.md)',
        logger='current',
        level=logging.WARNING)


def evaluate_source(source: RowSource,
                    rules: MatchRules,
                    chunk_size: Optional[int] = None,
                    name: Optional[str] = None) -> Dict:
    """:func:`evaluate_rank` of any row source (e.g. features)."""
    block_rows(source.shape[1], source.itemsize, chunk_size)  # check it
    valid, first_rank, ap, inp, tie_stats = _full_ranking_stats(
        source, rules, chunk_size)
    _warn_ties(tie_stats, rules.protocol.ties, name)
    ap_topk = rules.protocol.ap_topk
    if ap_topk is not None and ap_topk < source.shape[1]:
        first_rank, ap, inp = _window_stats(source, rules, valid, chunk_size)
        tie_stats = None
    return _summarize(first_rank, ap, inp, rules.protocol.max_rank,
                      source.shape[0], tie_stats)


def evaluate_rank(distmat: ArrayLike,
                  q_pids: ArrayLike,
                  g_pids: ArrayLike,
                  q_camids: Optional[ArrayLike] = None,
                  g_camids: Optional[ArrayLike] = None,
                  q_clothes_ids: Optional[ArrayLike] = None,
                  g_clothes_ids: Optional[ArrayLike] = None,
                  *,
                  protocol: Optional[RankProtocol] = None,
                  chunk_size: Optional[int] = None,
                  name: Optional[str] = None) -> Dict:
    """CMC, mAP and mINP of the rankings given by a distance matrix.

    For every query the gallery is ranked by increasing distance; equal
    distances are ordered as ``protocol.ties`` says: by default by gallery
    index (like a stable sort), so results are exactly reproducible. When
    more than 5% of the queries (:data:`TIED_QUERY_WARN_SHARE`) have a
    true match at the same distance as a non-matching item, a warning is
    logged. Junk items (see :class:`RankProtocol`) are
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
        name (str, optional): The evaluated set, named in the warning
            about ties. Defaults to None (``'evaluation'``).

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
    return evaluate_source(source, rules, chunk_size, name)


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
                                chunk_size: Optional[int] = None,
                                name: Optional[str] = None) -> Dict:
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
    return evaluate_source(source, rules, chunk_size, name)
