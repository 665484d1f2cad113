"""Single-shot gallery protocols: CUHK03 classic and per-trial sampling."""
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from .distance import ArrayLike
from .rank import _check_options, _Labels
from .rank_positions import FeatureRows, MatrixRows, block_rows


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


def _single_shot_ranks(source, labels: _Labels, valid_rows: np.ndarray,
                       own: np.ndarray, chosen: np.ndarray,
                       chunk_size: Optional[int]) -> np.ndarray:
    """0-based rank of each query's own sampled match among the sampled
    items of the other identities (ties broken by gallery index)."""
    ranks = np.empty(len(valid_rows), dtype=np.int64)
    chosen_pids = labels.g_pids[chosen]
    step = block_rows(source.shape[1], source.itemsize, chunk_size)
    for b0 in range(0, len(valid_rows), step):
        rows = valid_rows[b0:b0 + step]
        block = source.get(rows)
        if isinstance(block, torch.Tensor):
            block = block.cpu().numpy()
        local = np.arange(len(rows))
        own_idx = own[b0:b0 + step]
        v = block[local, own_idx][:, None]
        other = block[:, chosen]
        before = (other < v) | ((other == v) &
                                (chosen[None] < own_idx[:, None]))
        before &= chosen_pids[None] != labels.q_pids[rows][:, None]
        ranks[b0:b0 + step] = before.sum(1)
    return ranks


def _evaluate_single_shot(source, q_pids, g_pids, q_camids, g_camids, *,
                          max_rank, num_repeats, junk_pids,
                          chunk_size) -> Dict:
    _check_options(max_rank, None)
    if isinstance(
            num_repeats,
            bool) or not isinstance(num_repeats,
                                    (int, np.integer)) or num_repeats < 1:
        raise ValueError('num_repeats must be a positive integer, got '
                         f'{num_repeats!r}')
    labels = _Labels(source.shape[0], source.shape[1], q_pids, g_pids,
                     q_camids, g_camids, None, None, None, False, junk_pids)
    pair_q, pair_g = labels.same_pid_pairs()
    is_match, _ = labels.classify(pair_q, pair_g)
    pair_q, pair_g = pair_q[is_match], pair_g[is_match]
    valid_rows = np.unique(pair_q)
    cmc = np.zeros(max_rank)
    if len(valid_rows) == 0:
        return dict(cmc=cmc, num_valid_queries=0)
    candidates = np.flatnonzero(~labels.g_is_junk)
    for seed in range(num_repeats):
        keys = np.random.default_rng(seed).random(len(labels.g_pids))
        # One item per identity among the non-junk gallery ...
        order = np.lexsort((keys[candidates], labels.g_pids[candidates]))
        srt = candidates[order]
        first = np.r_[True, labels.g_pids[srt][1:] != labels.g_pids[srt][:-1]]
        chosen = np.sort(srt[first])
        # ... except that a query's own identity is drawn from its true
        # matches only (its same-camera images are junk for it).
        order = np.lexsort((keys[pair_g], pair_q))
        q_sorted = pair_q[order]
        own = pair_g[order][np.r_[True, q_sorted[1:] != q_sorted[:-1]]]
        ranks = _single_shot_ranks(source, labels, valid_rows, own, chosen,
                                   chunk_size)
        hits = np.bincount(
            np.minimum(ranks, max_rank), minlength=max_rank + 1)[:max_rank]
        cmc += np.cumsum(hits) / len(valid_rows)
    return dict(cmc=cmc / num_repeats, num_valid_queries=len(valid_rows))


def evaluate_single_gallery_shot(q_feats: ArrayLike,
                                 g_feats: ArrayLike,
                                 q_pids: ArrayLike,
                                 g_pids: ArrayLike,
                                 q_camids: Optional[ArrayLike],
                                 g_camids: Optional[ArrayLike],
                                 *,
                                 metric: str = 'euclidean',
                                 max_rank: int = 50,
                                 num_repeats: int = 10,
                                 junk_pids: Sequence[int] = (-1, ),
                                 chunk_size: Optional[int] = None,
                                 **unsupported) -> Dict:
    """CMC of the CUHK03 classic single-gallery-shot protocol.

    For every query, junk is removed Market-style (same pid and camera, or
    a pid in ``junk_pids``); then one random gallery image per identity is
    kept, and the CMC counts where the query's own kept image lands. The
    draw is repeated with seeds ``0..num_repeats-1`` and the CMC averaged.
    Other identities' images are drawn once per repeat for all queries;
    the query's own identity is drawn among its true matches.

    Args:
        q_feats, g_feats (np.ndarray | torch.Tensor): Features.
        q_pids, g_pids, q_camids, g_camids (array-like): Labels.
        metric (str): ``'euclidean'`` or ``'cosine'``.
        max_rank (int): Length of the CMC curve. Defaults to 50.
        num_repeats (int): Number of draws. Defaults to 10.
        junk_pids (Sequence[int]): Always-junk gallery pids.
        chunk_size (int, optional): Query rows per block.

    Returns:
        dict: ``cmc`` (fractions) and ``num_valid_queries``.
    """
    _reject_clothes_options(unsupported)
    return _evaluate_single_shot(
        FeatureRows(q_feats, g_feats, metric),
        q_pids,
        g_pids,
        q_camids,
        g_camids,
        max_rank=max_rank,
        num_repeats=num_repeats,
        junk_pids=junk_pids,
        chunk_size=chunk_size)


def evaluate_single_gallery_shot_distmat(
        distmat: ArrayLike,
        q_pids: ArrayLike,
        g_pids: ArrayLike,
        q_camids: Optional[ArrayLike],
        g_camids: Optional[ArrayLike],
        *,
        max_rank: int = 50,
        num_repeats: int = 10,
        junk_pids: Sequence[int] = (-1, ),
        chunk_size: Optional[int] = None) -> Dict:
    """:func:`evaluate_single_gallery_shot` from a distance matrix.

    Example:
        >>> d = np.array([[0.1, 0.2, 0.3]])
        >>> evaluate_single_gallery_shot_distmat(
        ...     d, [1], [1, 1, 2], [0], [1, 1, 1], max_rank=2)['cmc'].tolist()
        [1.0, 1.0]
    """
    return _evaluate_single_shot(
        MatrixRows(distmat),
        q_pids,
        g_pids,
        q_camids,
        g_camids,
        max_rank=max_rank,
        num_repeats=num_repeats,
        junk_pids=junk_pids,
        chunk_size=chunk_size)


def _reject_clothes_options(options: dict) -> None:
    """Single-shot protocols know identities, not outfits."""
    used = {
        k: v
        for k, v in options.items()
        if k in ('clothes_mode', 'match_clothes') and v
    }
    unknown = set(options) - {
        'clothes_mode', 'match_clothes', 'q_clothes_ids', 'g_clothes_ids'
    }
    if unknown:
        raise TypeError(f'unexpected arguments {sorted(unknown)}')
    if used:
        raise ValueError('the single-gallery-shot protocol does not support '
                         f'{used}')
