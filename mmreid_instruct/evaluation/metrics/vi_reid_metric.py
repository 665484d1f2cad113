"""Visible-infrared ReID protocol (LLCM, SYSU-MM01)."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import print_log

from mmreid_instruct.registry import METRICS
from mmreid_instruct.utils.tasks import VI_DIRECTIONS
from ..functional.rank import evaluate_rank_from_features
from ..functional.rank_list import rank_list_from_features
from ..functional.single_shot import sample_single_shot
from .reid_metric import (ReIDMetric, dump_rank_lists, percent_results,
                          stack_part)

#: SYSU-MM01: queries of camera 3 skip gallery camera 2 (0-based ids, as
#: the loader stores them: camera N is N - 1).
SYSU_CAMERA_SKIP = {2: (1, )}


def merge_rank_results(results: List[dict]) -> dict:
    """Combine evaluate results of disjoint query groups (weighted by their
    valid queries), as if the groups had been evaluated at once."""
    total = sum(r['num_valid_queries'] for r in results)
    if total == 0:
        return dict(results[0], num_valid_queries=0)
    weight = [r['num_valid_queries'] / total for r in results]
    return dict(
        cmc=sum(w * r['cmc'] for w, r in zip(weight, results)),
        mAP=sum(w * r['mAP'] for w, r in zip(weight, results)),
        mINP=sum(w * r['mINP'] for w, r in zip(weight, results)),
        num_valid_queries=total)


def average_trials(results: List[dict]) -> dict:
    """Mean of evaluate results over trials."""
    return dict(
        cmc=np.mean([r['cmc'] for r in results], axis=0),
        mAP=float(np.mean([r['mAP'] for r in results])),
        mINP=float(np.mean([r['mINP'] for r in results])),
        num_valid_queries=results[0]['num_valid_queries'])


@METRICS.register_module()
class VIReIDMetric(ReIDMetric):
    """Visible-infrared ReID: single-shot galleries averaged over trials.

    For each trial ``t`` (``0..num_trials-1``) the gallery keeps one random
    image per identity and camera (drawn with seed ``t``); CMC, mAP and
    mINP are averaged over the trials. Junk is Market-style (same pid and
    camera). With ``sysu_camera_skip`` the SYSU-MM01 rule applies: queries
    from camera 3 do not see gallery camera 2 (0-based ids 2 and 1).

    By default the query and gallery are the dataset's (the VI loaders
    build one search direction each); keys are those of
    :class:`ReIDMetric` (``vi/R1``..., or ``<prefix>/R1``...). With
    ``directions=('ir2vis', 'vis2ir')`` the query and gallery samples of a
    set are pooled and split by modality for each direction, and keys gain
    the direction: ``vi/ir2vis/mAP``, ``vi/vis2ir/mAP``.

    Args:
        directions (Sequence[str], optional): None, or search directions
            among ``'ir2vis'`` and ``'vis2ir'``.
        num_trials (int): Number of single-shot draws. Defaults to 10.
        single_shot (bool): Draw single-shot galleries; False ranks the
            whole gallery once (multi-shot). Defaults to True.
        sysu_camera_skip (bool): Apply the SYSU-MM01 camera-3 rule.
            Defaults to False.
        skip_gallery_cameras (dict, optional): General form of that rule:
            ``{query camera: [gallery cameras it does not see]}``.
        **kwargs: :class:`ReIDMetric` arguments (``metric``, ``topk``,
            ``prefix``, ``rank_list_file``...). Clothes options,
            ``single_gallery_shot`` and ``ap_topk`` do not apply.

    Example:
        >>> metric = VIReIDMetric(num_trials=10, sysu_camera_skip=True)
    """

    def __init__(self,
                 directions: Optional[Sequence[str]] = None,
                 num_trials: int = 10,
                 single_shot: bool = True,
                 sysu_camera_skip: bool = False,
                 skip_gallery_cameras: Optional[Dict[int,
                                                     Sequence[int]]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        unsupported = dict(
            clothes_mode=self.clothes_mode,
            match_clothes=self.match_clothes,
            single_gallery_shot=self.single_gallery_shot,
            ap_topk=self.ap_topk)
        unsupported = {k: v for k, v in unsupported.items() if v}
        if unsupported:
            raise ValueError(f'VIReIDMetric does not support {unsupported}')
        if directions is not None:
            directions = (directions, ) if isinstance(directions, str) \
                else tuple(directions)
            bad = [d for d in directions if d not in VI_DIRECTIONS]
            if bad or not directions:
                raise ValueError(f'directions must be None or a list of '
                                 f'{list(VI_DIRECTIONS)}, got {directions}')
        self.directions = directions
        if not isinstance(num_trials, int) or num_trials < 1:
            raise ValueError('num_trials must be a positive integer, got '
                             f'{num_trials!r}')
        self.num_trials = num_trials if single_shot else 1
        self.single_shot = bool(single_shot)
        skip = dict(SYSU_CAMERA_SKIP) if sysu_camera_skip else {}
        for cam, cams in (skip_gallery_cameras or {}).items():
            cams = (cams, ) if isinstance(cams, int) else tuple(cams)
            skip[int(cam)] = tuple(
                sorted(set(skip.get(int(cam), ())) | {int(c)
                                                      for c in cams}))
        self.skip_gallery_cameras = skip

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Evaluate every test set (and direction) among the results."""
        sets = self._split_sets(results)
        metrics = OrderedDict()
        rank_lists = []
        for (name, task), parts in sets.items():
            for direction, query, gallery in self._searches(name, task, parts):
                where = f'{name}/{task}' + (f'/{direction}'
                                            if direction else '')
                q, g = stack_part(query), stack_part(gallery)
                res = self._evaluate_trials(q, g)
                print_log(
                    f'{where}: {len(query)} queries '
                    f'({res["num_valid_queries"]} with a true match), '
                    f'{len(gallery)} gallery items, {self.num_trials} '
                    'trial(s)',
                    logger='current')
                self._add_keys(metrics, percent_results(res, self.topk),
                               len(sets), name, task, direction)
                if self.rank_list_file is not None:
                    indices, dists = rank_list_from_features(
                        self._prepare(q['feats']),
                        self._prepare(g['feats']),
                        self.rank_list_topk,
                        metric=self.metric,
                        chunk_size=self.chunk_size)
                    rank_lists.append(
                        dict(
                            dataset_name=name,
                            task=task,
                            direction=direction,
                            query=query,
                            gallery=gallery,
                            indices=indices,
                            distances=dists))
        if self.rank_list_file is not None:
            dump_rank_lists(self.rank_list_file, rank_lists)
        return metrics

    def _searches(self, name, task, parts):
        """``(direction, query, gallery)`` of every search of one set."""
        where = f'{name}/{task}'
        if self.directions is None:
            searches = [(None, parts['query'], parts['gallery'])]
        else:
            pool = parts['query'] + parts['gallery']
            searches = []
            for direction in self.directions:
                src, dst = VI_DIRECTIONS[direction]
                searches.append(
                    (direction, [it for it in pool if it['modality'] == src],
                     [it for it in pool if it['modality'] == dst]))
        for direction, query, gallery in searches:
            query = self._filter_cameras(query, self.query_cameras)
            gallery = self._filter_cameras(gallery, self.gallery_cameras)
            what = where + (f' ({direction})' if direction else '')
            if not query:
                raise ValueError(f'{what}: no query samples to evaluate')
            if not gallery:
                raise ValueError(f'{what}: no gallery samples to rank')
            yield direction, query, gallery

    def _evaluate_trials(self, q: dict, g: dict) -> dict:
        q_feats, g_feats = self._prepare(q['feats']), self._prepare(g['feats'])
        trials = []
        for trial in range(self.num_trials):
            cols = sample_single_shot(g['pids'], g['camids'], seed=trial) \
                if self.single_shot else np.arange(len(g['pids']))
            groups = []
            for rows, skipped in self._query_groups(q['camids']):
                keep = cols[~np.isin(g['camids'][cols], skipped)]
                if len(keep) == 0:
                    raise ValueError('the camera skip rule leaves no gallery '
                                     f'for query cameras {skipped}')
                groups.append(
                    self._evaluate_group(q, g, q_feats, g_feats, rows, keep))
            trials.append(merge_rank_results(groups))
        return average_trials(trials)

    def _query_groups(self, q_camids: np.ndarray):
        """Query rows grouped by the gallery cameras they skip."""
        skipped = [self.skip_gallery_cameras.get(int(c), ()) for c in q_camids]
        for cams in sorted(set(skipped)):
            rows = np.flatnonzero([s == cams for s in skipped])
            yield rows, np.asarray(cams, dtype=np.int64)

    def _evaluate_group(self, q, g, q_feats, g_feats, rows, cols) -> dict:
        use_camera = self.use_camera
        return evaluate_rank_from_features(
            q_feats[rows],
            g_feats[cols],
            q['pids'][rows],
            g['pids'][cols],
            q['camids'][rows] if use_camera else None,
            g['camids'][cols] if use_camera else None,
            metric=self.metric,
            max_rank=self.max_rank,
            junk_pids=self.junk_pids,
            chunk_size=self.chunk_size)
