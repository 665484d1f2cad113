"""Visible-infrared ReID protocol (LLCM, SYSU-MM01)."""
from typing import Dict, Iterator, Optional, Sequence, Tuple

import numpy as np

from mmreid_instruct.registry import METRICS
from mmreid_instruct.utils.tasks import VI_DIRECTIONS
from ..functional.rank_protocol import RankProtocol
from ..functional.single_shot import sample_single_shot
from ..functional.utils import check_positive_int
from .reid_metric import ReIDMetric
from .utils import average_trials, merge_rank_results, rank_parts, take

#: SYSU-MM01: queries of camera 3 skip gallery camera 2 (0-based ids, as
#: the loader stores them: camera N is N - 1).
SYSU_CAMERA_SKIP = {2: (1, )}


@METRICS.register_module()
class VIReIDMetric(ReIDMetric):
    """Visible-infrared ReID: single-shot galleries averaged over trials.

    For each trial ``t`` (``0..num_trials-1``) the gallery keeps one random
    image per identity and camera (drawn with seed ``t``); CMC, mAP and
    mINP are averaged over the trials. Junk is Market-style (same pid and
    camera). With ``sysu_camera_skip`` the SYSU-MM01 rule applies: queries
    from camera 3 do not see gallery camera 2 (0-based ids 2 and 1).

    Keys are those of :class:`ReIDMetric` (``vi/R1``...); with
    ``directions`` the query and gallery samples of a test set are pooled
    and split by modality for each direction, and the keys gain the
    direction (``vi/ir2vis/mAP``, ``vi/vis2ir/mAP``).

    Args:
        directions (Sequence[str], optional): None (the dataset's query and
            gallery), or search directions among ``'ir2vis'`` and
            ``'vis2ir'``.
        num_trials (int): Number of single-shot draws. Defaults to 10.
        single_shot (bool): Draw single-shot galleries; False ranks the
            whole gallery once (multi-shot). Defaults to True.
        sysu_camera_skip (bool): Apply the SYSU-MM01 camera-3 rule.
            Defaults to False.
        skip_gallery_cameras (dict, optional): General form of that rule:
            ``{query camera: [gallery cameras it does not see]}``.
        **kwargs: :class:`ReIDMetric` arguments (``metric``, ``topk``,
            ``prefix``, ``rank_list``...); the protocol's clothes options
            and ``ap_topk`` are not supported.

    Example:
        >>> metric = VIReIDMetric(num_trials=10, sysu_camera_skip=True)
        >>> metric.skip_gallery_cameras
        {2: (1,)}
    """
    clothes_matching_tasks = ()

    def __init__(self,
                 directions: Optional[Sequence[str]] = None,
                 num_trials: int = 10,
                 single_shot: bool = True,
                 sysu_camera_skip: bool = False,
                 skip_gallery_cameras: Optional[Dict[int,
                                                     Sequence[int]]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.protocol.reject(
            ('clothes_mode', 'match_clothes', 'ap_topk', 'ties'),
            type(self).__name__)
        if directions is not None:
            directions = (directions, ) if isinstance(directions, str) \
                else tuple(directions)
            bad = [d for d in directions if d not in VI_DIRECTIONS]
            if bad or not directions:
                raise ValueError(f'directions must be None or a list of '
                                 f'{list(VI_DIRECTIONS)}, got {directions}')
        self.directions = directions
        num_trials = check_positive_int(num_trials, 'num_trials')
        self.num_trials = num_trials if single_shot else 1
        self.single_shot = bool(single_shot)
        skip = dict(SYSU_CAMERA_SKIP) if sysu_camera_skip else {}
        for cam, cams in (skip_gallery_cameras or {}).items():
            cams = (cams, ) if isinstance(cams, int) else tuple(cams)
            skip[int(cam)] = tuple(
                sorted(set(skip.get(int(cam), ())) | {int(c)
                                                      for c in cams}))
        self.skip_gallery_cameras = skip

    def _searches(self, name: str, task: str, parts: dict) -> Iterator[Tuple]:
        """One search per direction (the dataset's query and gallery when
        ``directions`` is None)."""
        where = f'{name}/{task}'
        if self.directions is None:
            yield self._camera_subsets(where, None, parts['query'],
                                       parts['gallery'])
            return
        pool = parts['query'] + parts['gallery']
        for direction in self.directions:
            src, dst = VI_DIRECTIONS[direction]
            yield self._camera_subsets(
                where, direction, [it for it in pool if it['modality'] == src],
                [it for it in pool if it['modality'] == dst])

    def _evaluate(self,
                  q: dict,
                  g: dict,
                  protocol: RankProtocol,
                  name: Optional[str] = None) -> dict:
        """Mean result over the trials' single-shot galleries."""
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
                    rank_parts(
                        take(q, rows), take(g, keep), self.metric, protocol,
                        name))
            trials.append(merge_rank_results(groups))
        return average_trials(trials)

    def _query_groups(self, q_camids: np.ndarray):
        """Query rows grouped by the gallery cameras they skip."""
        skipped = [self.skip_gallery_cameras.get(int(c), ()) for c in q_camids]
        for cams in sorted(set(skipped)):
            rows = np.flatnonzero([s == cams for s in skipped])
            yield rows, np.asarray(cams, dtype=np.int64)

    def _log_note(self) -> str:
        return f', {self.num_trials} trial(s)'
