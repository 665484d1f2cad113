"""A deliberately simple per-query evaluator the fast code is tested
against: a stable argsort, the junk rules written out item by item. Its
keyword arguments are the fields of ``RankProtocol``; ``ties='expected'``
averages over every order of every tie group, by brute force (tiny
galleries only)."""
import itertools

import numpy as np


def _query_scores(kept, max_rank):
    """CMC, AP and INP of one query from its junk-free match flags."""
    hits = np.flatnonzero(kept)
    cmc = np.zeros(max_rank)
    if len(hits) and hits[0] < max_rank:
        cmc[hits[0]:] = 1
    ap = sum((k + 1) / (h + 1) for k, h in enumerate(hits)) / max(1, len(hits))
    inp = len(hits) / (hits[-1] + 1) if len(hits) else 0.0
    return cmc, ap, inp


def _all_tie_orders(values, is_match):
    """Match flags of every order of the tie groups of a junk-free row."""
    groups = [is_match[values == v] for v in np.unique(values)]
    for orders in itertools.product(
            *[list(itertools.permutations(g)) for g in groups]):
        yield np.concatenate([np.array(o, dtype=bool) for o in orders])


def reference_evaluate(distmat,
                       q_pids,
                       g_pids,
                       q_camids,
                       g_camids,
                       q_clothes_ids=None,
                       g_clothes_ids=None,
                       *,
                       max_rank=50,
                       clothes_mode=None,
                       match_clothes=False,
                       junk_pids=(-1, ),
                       use_camera=True,
                       ap_topk=None,
                       ties='index'):
    distmat = np.asarray(distmat)
    cmcs, aps, inps = [], [], []
    for i in range(distmat.shape[0]):
        is_match, is_junk = [], []
        for j in np.argsort(distmat[i], kind='stable'):
            positive = g_pids[j] == q_pids[i]
            if match_clothes:
                positive = positive and g_clothes_ids[j] == q_clothes_ids[i]
            removed = use_camera and q_camids[i] == g_camids[j]
            if clothes_mode == 'cc':
                removed = removed or q_clothes_ids[i] == g_clothes_ids[j]
            if clothes_mode == 'sc':
                removed = removed or q_clothes_ids[i] != g_clothes_ids[j]
            junk = (positive and removed) or g_pids[j] in junk_pids
            is_junk.append(junk)
            is_match.append(positive and not junk)
        is_match, is_junk = np.array(is_match), np.array(is_junk)
        if not is_match.any():
            continue
        values = distmat[i][np.argsort(distmat[i], kind='stable')]
        if ties == 'expected':
            scores = [
                _query_scores(kept, max_rank) for kept in _all_tie_orders(
                    values[~is_junk], is_match[~is_junk])
            ]
            cmc, ap, inp = (np.mean(x, 0) for x in zip(*scores))
        else:
            if ties == 'pessimistic':  # matches last among equal values
                last = np.lexsort((is_match, values))
                is_match, is_junk = is_match[last], is_junk[last]
            if ap_topk is None:
                kept = is_match[~is_junk]
            else:
                kept = is_match[:ap_topk][~is_junk[:ap_topk]]
            cmc, ap, inp = _query_scores(kept, max_rank)
        cmcs.append(cmc)
        aps.append(ap)
        inps.append(inp)
    if not aps:
        return dict(
            cmc=np.zeros(max_rank), mAP=0.0, mINP=0.0, num_valid_queries=0)
    return dict(
        cmc=np.mean(cmcs, 0),
        mAP=float(np.mean(aps)),
        mINP=float(np.mean(inps)),
        num_valid_queries=len(aps))
