"""Single-shot gallery protocols: CUHK03 classic and per-trial sampling."""
from typing import Dict, Optional

import numpy as np

from .distance import ArrayLike
from .rank_protocol import MatchRules, RankProtocol
from .utils import FeatureRows, MatrixRows, RowSource, check_positive_int


def sample_single_shot(g_pids: ArrayLike,
                       g_camids: Optional[ArrayLike] = None,
                       seed: int = 0) -> np.ndarray:
    """Pick one random gallery item per identity (per camera if given).

    Used by the visible-infrared protocols, where trial ``t`` of 10 uses
    ``seed=t``.

    Args:
        g_pids (array-like): Gallery person ids.
        g_camids (array-like, optional): Gallery camera ids; when given, one
            item per (identity, camera).
        seed (int): Seed of the draw. Defaults to 0.

    Returns:
        np.ndarray: Sorted indices of the chosen gallery items.

    Example:
        >>> sample_single_shot([5, 5, 7], seed=0).shape
        (2,)
    """
    pids = np.asarray(g_pids, dtype=np.int64)
    if pids.ndim != 1 or len(pids) == 0:
        raise ValueError('g_pids must be a non-empty 1-D array')
    groups = [pids]
    if g_camids is not None:
        cams = np.asarray(g_camids, dtype=np.int64)
        if cams.shape != pids.shape:
            raise ValueError(f'g_camids has {len(cams)} entries but g_pids '
                             f'has {len(pids)}')
        groups.append(cams)
    keys = np.random.default_rng(seed).random(len(pids))
    # Sort by group, then by random key: the first of each group wins.
    order = np.lexsort((keys, *reversed(groups)))
    grouped = np.stack([g[order] for g in groups], axis=1)
    first = np.r_[True, np.any(grouped[1:] != grouped[:-1], axis=1)]
    return np.sort(order[first])


def _single_shot_ranks(source: RowSource, rules: MatchRules,
                       valid_rows: np.ndarray, own: np.ndarray,
                       chosen: np.ndarray,
                       chunk_size: Optional[int]) -> np.ndarray:
    """0-based rank of each query's own sampled match among the sampled
    items of the other identities (ties broken by gallery index)."""
    ranks = np.empty(len(valid_rows), dtype=np.int64)
    chosen_pids = rules.g_pids[chosen]
    b0 = 0
    for rows, block in source.numpy_blocks(valid_rows, chunk_size):
        own_idx = own[b0:b0 + len(rows)]
        v = block[np.arange(len(rows)), own_idx][:, None]
        other = block[:, chosen]
        before = (other < v) | ((other == v) &
                                (chosen[None] < own_idx[:, None]))
        before &= chosen_pids[None] != rules.q_pids[rows][:, None]
        ranks[b0:b0 + len(rows)] = before.sum(1)
        b0 += len(rows)
    return ranks


def _single_shot_rules(protocol: Optional[RankProtocol], shape, *labels):
    """:class:`MatchRules` of a protocol without clothes options."""
    protocol = protocol or RankProtocol()
    protocol.reject(('clothes_mode', 'match_clothes', 'ap_topk', 'ties'),
                    'the single-gallery-shot protocol')
    return MatchRules(protocol, shape, *labels)


def _evaluate_single_shot(source: RowSource, rules: MatchRules,
                          num_repeats: int, chunk_size: Optional[int]) -> Dict:
    num_repeats = check_positive_int(num_repeats, 'num_repeats')
    max_rank = rules.protocol.max_rank
    pair_q, pair_g = rules.same_pid_pairs()
    is_match, _ = rules.classify(pair_q, pair_g)
    pair_q, pair_g = pair_q[is_match], pair_g[is_match]
    valid_rows = np.unique(pair_q)
    cmc = np.zeros(max_rank)
    if len(valid_rows) == 0:
        return dict(cmc=cmc, num_valid_queries=0)
    candidates = np.flatnonzero(~rules.g_is_junk)
    g_pids = rules.g_pids
    for seed in range(num_repeats):
        keys = np.random.default_rng(seed).random(len(g_pids))
        # One item per identity among the non-junk gallery ...
        order = np.lexsort((keys[candidates], g_pids[candidates]))
        srt = candidates[order]
        first = np.r_[True, g_pids[srt][1:] != g_pids[srt][:-1]]
        chosen = np.sort(srt[first])
        # ... except that a query's own identity is drawn from its true
        # matches only (its same-camera images are junk for it).
        order = np.lexsort((keys[pair_g], pair_q))
        q_sorted = pair_q[order]
        own = pair_g[order][np.r_[True, q_sorted[1:] != q_sorted[:-1]]]
        ranks = _single_shot_ranks(source, rules, valid_rows, own, chosen,
                                   chunk_size)
        hits = np.bincount(
            np.minimum(ranks, max_rank), minlength=max_rank + 1)[:max_rank]
        cmc += np.cumsum(hits) / len(valid_rows)
    return dict(cmc=cmc / num_repeats, num_valid_queries=len(valid_rows))


def evaluate_single_gallery_shot(distmat: ArrayLike,
                                 q_pids: ArrayLike,
                                 g_pids: ArrayLike,
                                 q_camids: Optional[ArrayLike] = None,
                                 g_camids: Optional[ArrayLike] = None,
                                 *,
                                 protocol: Optional[RankProtocol] = None,
                                 num_repeats: int = 10,
                                 chunk_size: Optional[int] = None) -> Dict:
    """CMC of the CUHK03 classic single-gallery-shot protocol.

    For every query, junk is removed Market-style (same pid and camera, or
    a pid in ``junk_pids``); then one random gallery image per identity is
    kept, and the CMC counts where the query's own kept image lands. The
    draw is repeated with seeds ``0..num_repeats-1`` and the CMC averaged.
    Other identities' images are drawn once per repeat for all queries;
    the query's own identity is drawn among its true matches.

    Args:
        distmat (np.ndarray | torch.Tensor): ``(Q, G)`` distances.
        q_pids, g_pids, q_camids, g_camids (array-like): Labels, as in
            :func:`~.rank.evaluate_rank`.
        protocol (RankProtocol, optional): ``max_rank``, ``junk_pids`` and
            ``use_camera`` apply; clothes options and ``ap_topk`` are not
            supported, nor ties other than ``'index'``. Defaults to
            ``RankProtocol()``.
        num_repeats (int): Number of draws. Defaults to 10.
        chunk_size (int, optional): Query rows per block.

    Returns:
        dict: ``cmc`` (fractions) and ``num_valid_queries``.

    Example:
        >>> import numpy as np
        >>> d = np.array([[0.1, 0.2, 0.3]])
        >>> evaluate_single_gallery_shot(
        ...     d, [1], [1, 1, 2], [0], [1, 1, 1],
        ...     protocol=RankProtocol(max_rank=2))['cmc'].tolist()
        [1.0, 1.0]
    """
    source = MatrixRows(distmat)
    rules = _single_shot_rules(protocol, source.shape, q_pids, g_pids,
                               q_camids, g_camids)
    return _evaluate_single_shot(source, rules, num_repeats, chunk_size)


def evaluate_single_gallery_shot_from_features(
        q_feats: ArrayLike,
        g_feats: ArrayLike,
        q_pids: ArrayLike,
        g_pids: ArrayLike,
        q_camids: Optional[ArrayLike] = None,
        g_camids: Optional[ArrayLike] = None,
        *,
        metric: str = 'euclidean',
        protocol: Optional[RankProtocol] = None,
        num_repeats: int = 10,
        chunk_size: Optional[int] = None) -> Dict:
    """:func:`evaluate_single_gallery_shot` of features, computed block by
    block.

    Args:
        q_feats, g_feats (np.ndarray | torch.Tensor): Features.
        metric (str): ``'euclidean'`` or ``'cosine'``.
        Others: as in :func:`evaluate_single_gallery_shot`.

    Returns:
        dict: As :func:`evaluate_single_gallery_shot`.

    Example:
        >>> import numpy as np
        >>> res = evaluate_single_gallery_shot_from_features(
        ...     np.zeros((1, 2)), np.ones((2, 2)), [1], [1, 2], [0], [1, 1],
        ...     protocol=RankProtocol(max_rank=2))
        >>> res['cmc'].tolist()  # a tie: the lower gallery index first
        [1.0, 1.0]
    """
    source = FeatureRows(q_feats, g_feats, metric)
    rules = _single_shot_rules(protocol, source.shape, q_pids, g_pids,
                               q_camids, g_camids)
    return _evaluate_single_shot(source, rules, num_repeats, chunk_size)
