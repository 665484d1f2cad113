"""Market-style ReID metric and the helpers shared by the other protocols."""
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import mmengine
import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmreid_instruct.registry import METRICS
from mmreid_instruct.utils.tasks import normalize_task
from ..functional.distance import check_metric, l2_normalize
from ..functional.rank import CLOTHES_MODES, evaluate_rank_from_features
from ..functional.rank_list import rank_list_from_features
from ..functional.single_shot import evaluate_single_gallery_shot

#: Tasks whose instruction names the target outfit: a true match must wear
#: it (``match_clothes``).
CLOTHES_MATCHING_TASKS = ('li', 'ctcc')

#: Label and meta keys kept from every data sample.
SAMPLE_KEYS = ('pid', 'camid', 'clothes_id', 'modality', 'task', 'subset',
               'dataset_name', 'sample_idx', 'img_path', 'instruction',
               'instruction_img_path')

#: What :class:`ReIDMetric` keeps for a sample of a task it does not
#: evaluate: one entry per sample keeps distributed collection exact, and it
#: must not be None, which mmengine's ``collect_results`` drops.
IGNORED = False

#: Meta keys written to rank-list files.
_RANK_LIST_KEYS = ('img_path', 'instruction', 'instruction_img_path', 'pid',
                   'camid', 'clothes_id', 'modality', 'sample_idx')


def sample_to_result(sample: dict) -> dict:
    """The part of a predicted data sample a ReID metric keeps.

    Args:
        sample (dict): A predicted data sample as a dict (the evaluator
            calls ``ReIDDataSample.to_dict()``); needs ``pred_feature``,
            ``pid`` and ``subset``.

    Returns:
        dict: ``feat`` (1-D CPU float tensor, its own storage) and the
        labels of :data:`SAMPLE_KEYS` (missing ones are None).
    """
    if 'pred_feature' not in sample:
        raise KeyError('a data sample has no "pred_feature": run the model '
                       'in predict mode before evaluation')
    for key in ('pid', 'subset'):
        if key not in sample:
            raise KeyError(f'a data sample has no "{key}"')
    feat = sample['pred_feature']
    if not isinstance(feat, torch.Tensor):
        feat = torch.as_tensor(np.asarray(feat))
    # A copy, so that a row of a batch tensor does not keep the whole batch
    # alive (and is not pickled whole when results are collected).
    feat = feat.detach().to('cpu', torch.float32, copy=True).reshape(-1)
    result = {key: sample.get(key) for key in SAMPLE_KEYS}
    result['feat'] = feat
    return result


def split_sets(results: List[dict]) -> 'OrderedDict[Tuple, Dict]':
    """Group collected results into test sets and their query/gallery.

    A test set is one ``(dataset_name, task)``. Results keep the order they
    come in (mmengine's collection restores dataset order), and a sample
    may occur only once.

    :data:`IGNORED` entries (the placeholders :class:`ReIDMetric` keeps for
    samples of tasks it does not evaluate) are skipped.

    Returns:
        OrderedDict: ``{(dataset_name, task): {'query': [...],
        'gallery': [...]}}`` in order of first appearance.
    """
    sets = OrderedDict()
    for res in results:
        if res is IGNORED:
            continue
        subset = res['subset']
        if subset not in ('query', 'gallery'):
            raise ValueError('a test sample must have subset "query" or '
                             f'"gallery", got {subset!r}')
        task = res['task']
        key = (res['dataset_name'],
               None if task is None else normalize_task(task))
        sets.setdefault(key, {'query': [], 'gallery': []})[subset].append(res)
    for (name, task), parts in sets.items():
        for subset, items in parts.items():
            _check_once(items, f'{name}/{task}', subset)
    return sets


def _check_once(items: List[dict], where: str, subset: str) -> None:
    """Raise if a sample (same index, image and instruction) repeats."""
    seen = set()
    for it in items:
        if it['sample_idx'] is None:
            continue
        key = (it['sample_idx'], it['img_path'], it['instruction'],
               it['instruction_img_path'])
        if key in seen:
            raise ValueError(
                f'{where}: {subset} sample {it["sample_idx"]} '
                f'({it["img_path"]}) was evaluated more than once; each '
                'sample must be collected exactly once')
        seen.add(key)


def stack_part(items: List[dict]) -> Dict[str, np.ndarray]:
    """Features and label arrays of a list of results."""
    if not items:
        raise ValueError('empty query or gallery part')
    feats = torch.stack([it['feat'] for it in items]).numpy()

    def labels(key, default=-1):
        return np.asarray(
            [default if it[key] is None else int(it[key]) for it in items],
            dtype=np.int64)

    return dict(
        feats=feats,
        pids=labels('pid'),
        camids=labels('camid'),
        clothes_ids=labels('clothes_id'),
        modality=np.asarray([it['modality'] or 'rgb' for it in items]))


def percent_results(res: dict, topk: Sequence[int]) -> Dict[str, float]:
    """``R<k>``, ``mAP`` and ``mINP`` in percent from an evaluate result."""
    out = OrderedDict()
    for k in topk:
        out[f'R{k}'] = float(res['cmc'][k - 1]) * 100
    out['mAP'] = res['mAP'] * 100
    out['mINP'] = res['mINP'] * 100
    return out


def check_topk(topk: Sequence[int], max_rank: int) -> Tuple[int, ...]:
    """Return ``topk`` as a tuple after checking it against ``max_rank``."""
    topk = (topk, ) if isinstance(topk, int) else tuple(topk)
    if not topk or any(
            not isinstance(k, (int, np.integer)) or k < 1 or k > max_rank
            for k in topk):
        raise ValueError(f'topk must be positive integers no larger than '
                         f'max_rank={max_rank}, got {topk}')
    return topk


def dump_rank_lists(path: str, entries: List[dict]) -> None:
    """Write rank lists (a JSON file) for visualisation.

    Args:
        path (str): Output file, ``.json``.
        entries (list[dict]): One per test set, with ``dataset_name``,
            ``task``, ``query`` and ``gallery`` (lists of result dicts),
            ``indices`` and ``distances`` (``(Q, k)`` arrays).
    """
    sets = []
    for e in entries:

        def meta(items):
            return [{k: it.get(k) for k in _RANK_LIST_KEYS} for it in items]

        sets.append(
            dict(
                dataset_name=e['dataset_name'],
                task=e['task'],
                direction=e.get('direction'),
                query=meta(e['query']),
                gallery=meta(e['gallery']),
                indices=np.asarray(e['indices']).tolist(),
                distances=np.asarray(e['distances'],
                                     dtype=np.float64).tolist()))
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(path)))
    with open(path, 'w') as f:
        json.dump(dict(sets=sets), f)
    print_log(f'Rank lists written to {path}', logger='current')


def check_rank_list_file(path: Optional[str]) -> Optional[str]:
    """Check the rank-list output path (a ``.json`` file, or None)."""
    if path is not None and not str(path).endswith('.json'):
        raise ValueError(f'rank_list_file must end with .json, got {path!r}')
    return path


def _selection(values, arg_name: str, canonical=None) -> Optional[frozenset]:
    """The ``tasks`` or ``dataset_names`` argument as a set of
    ``canonical(value)`` (None: no selection)."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    values = list(values)
    if not values:
        raise ValueError(f'{arg_name} must be None (no selection) or a '
                         'non-empty list')
    return frozenset(canonical(v) if canonical else v for v in values)


def _camera_filter(cameras, name):
    if cameras is None:
        return None
    cameras = [cameras] if isinstance(cameras, int) else list(cameras)
    if not cameras or not all(
            isinstance(c, (int, np.integer)) for c in cameras):
        raise ValueError(f'{name} must be None or a non-empty list of camera '
                         f'ids, got {cameras!r}')
    return np.asarray(cameras, dtype=np.int64)


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """Market-style CMC / mAP / mINP of person re-identification.

    Features and labels of the query and gallery samples are collected
    (query and gallery are told apart by each sample's ``subset``); every
    test set, i.e. every ``(dataset_name, task)`` among the samples, is
    then evaluated on its own: its queries are ranked against its gallery.
    A gallery item with the query's pid and camera, or with a pid in
    ``junk_pids``, is junk (removed); see
    :func:`~mmreid_instruct.evaluation.functional.evaluate_rank`.

    **Keys** (in percent): ``<task>/R1``, ``<task>/R5``, ``<task>/R10``,
    ``<task>/mAP``, ``<task>/mINP`` (the ``topk`` decides the ``R`` keys),
    e.g. ``trad/mAP``. With several test sets among the samples every key
    starts with the set: ``<dataset_name>/<task>/mAP``. A ``prefix``
    replaces ``<task>`` for a single set (``prefix='market'`` gives
    ``market/mAP``) and is put in front otherwise
    (``market/<dataset_name>/<task>/mAP``).

    **Several metrics over one test loader** (``tasks``): a metric given
    ``tasks`` evaluates only the samples of those tasks and ignores the
    others (they are not kept: only a ``False`` placeholder per sample, so
    that distributed collection, which restores dataset order from one
    result per sample, stays exact). Such a metric always names the set in
    its keys, ``<dataset_name>/<task>/<metric>`` (after ``prefix`` if
    given), even when it sees a single set, so that the keys of metrics
    sharing a run are uniform and never collide as long as their ``tasks``
    do not overlap, e.g.::

        test_evaluator = [
            dict(type='ReIDMetric', tasks=['trad', 'cc', 'ctcc', 'li',
                                           'vi']),
            dict(type='T2IMetric', tasks=['t2i']),
        ]

    ``dataset_names`` selects test sets by dataset in the same way, so
    that test sets of one task get their own protocol, e.g.
    ``dict(type='ReIDMetric', dataset_names=['ltcc'], clothes_mode='cc')``.

    Protocol options:

    - ``clothes_mode``: None (general), ``'cc'`` (same-pid same-clothes
      items are junk) or ``'sc'`` (same-pid other-clothes items are junk).
    - ``match_clothes``: a true match must also wear the query's clothes
      (same-pid items in other clothes are negatives). None (default)
      turns it on for the tasks ``li`` and ``ctcc``, whose instruction
      names the target outfit.
    - ``query_cameras`` / ``gallery_cameras``: evaluate only those cameras
      (camera ids as stored in the samples), e.g. VC-Clothes or PRCC
      subsets.
    - ``single_gallery_shot``: the CUHK03 classic protocol: for every query
      one random gallery image per identity (after junk removal), CMC
      averaged over ``num_repeats`` seeded repeats; mAP and mINP use the
      whole gallery.
    - ``ap_topk``: compatibility only (the official Instruct-ReID code uses
      500): CMC / AP / INP from the first ``ap_topk`` ranked items.

    Args:
        metric (str): ``'euclidean'`` or ``'cosine'``. Defaults to
            ``'euclidean'``.
        normalize_feature (bool): L2-normalise features before computing
            distances. Defaults to False.
        topk (Sequence[int]): CMC ranks reported. Defaults to (1, 5, 10).
        max_rank (int): Length of the CMC curve. Defaults to 50.
        clothes_mode (str, optional): None, ``'cc'`` or ``'sc'``.
        match_clothes (bool, optional): See above. Defaults to None (auto).
        junk_pids (Sequence[int]): Gallery pids that are always junk.
            Defaults to ``(-1,)``.
        use_camera (bool): Apply the same-camera junk rule. Defaults to
            True.
        query_cameras (Sequence[int], optional): Keep only these query
            cameras.
        gallery_cameras (Sequence[int], optional): Keep only these gallery
            cameras.
        single_gallery_shot (bool): CUHK03 classic protocol. Defaults to
            False.
        num_repeats (int): Repeats of ``single_gallery_shot`` (seeds
            0..n-1). Defaults to 10.
        ap_topk (int, optional): Truncated-AP compatibility switch.
        rank_list_file (str, optional): Write the top ``rank_list_topk``
            gallery items of every query (indices into the gallery, in
            dataset order, and distances) to this ``.json`` file.
        rank_list_topk (int): Length of the dumped rank lists.
            Defaults to 10.
        chunk_size (int, optional): Queries ranked per block.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): See the keys above.
        collect_dir (str, optional): Directory for collecting results on
            the CPU.
        tasks (Sequence[str], optional): Evaluate only the samples of these
            tasks (any spelling, e.g. ``'sc'`` or ``'trad'``); see above.
            Defaults to None (every task).
        dataset_names (Sequence[str], optional): Evaluate only the samples
            of these datasets (their ``dataset_name``), like ``tasks``; with
            both, a sample must pass both. Defaults to None (every dataset).

    Example:
        >>> q = np.array([[0., 0.], [5., 5.]])
        >>> g = np.array([[0., 1.], [5., 4.], [9., 9.]])
        >>> res = ReIDMetric.calculate(q, g, [0, 1], [0, 1, 2],
        ...                            [0, 0], [1, 1, 1])
        >>> res['R1'], res['mAP']
        (100.0, 100.0)
    """
    # The keys carry the test set; BaseMetric adds ``prefix`` when given.
    default_prefix = ''

    def __init__(self,
                 metric: str = 'euclidean',
                 normalize_feature: bool = False,
                 topk: Sequence[int] = (1, 5, 10),
                 max_rank: int = 50,
                 clothes_mode: Optional[str] = None,
                 match_clothes: Optional[bool] = None,
                 junk_pids: Sequence[int] = (-1, ),
                 use_camera: bool = True,
                 query_cameras: Optional[Sequence[int]] = None,
                 gallery_cameras: Optional[Sequence[int]] = None,
                 single_gallery_shot: bool = False,
                 num_repeats: int = 10,
                 ap_topk: Optional[int] = None,
                 rank_list_file: Optional[str] = None,
                 rank_list_topk: int = 10,
                 chunk_size: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None,
                 tasks: Optional[Sequence[str]] = None,
                 dataset_names: Optional[Sequence[str]] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        self.metric = check_metric(metric)
        # Unknown task names raise in normalize_task.
        self.tasks = _selection(tasks, 'tasks', normalize_task)
        self.dataset_names = _selection(dataset_names, 'dataset_names')
        self.normalize_feature = bool(normalize_feature)
        if not isinstance(max_rank, int) or max_rank < 1:
            raise ValueError(f'max_rank must be a positive integer, got '
                             f'{max_rank!r}')
        self.max_rank = max_rank
        self.topk = check_topk(topk, max_rank)
        if clothes_mode not in CLOTHES_MODES:
            raise ValueError(f'clothes_mode must be one of {CLOTHES_MODES}, '
                             f'got {clothes_mode!r}')
        if clothes_mode is not None and match_clothes:
            raise ValueError('clothes_mode and match_clothes=True cannot be '
                             'combined')
        self.clothes_mode = clothes_mode
        self.match_clothes = match_clothes
        self.junk_pids = tuple(int(p) for p in junk_pids)
        self.use_camera = bool(use_camera)
        self.query_cameras = _camera_filter(query_cameras, 'query_cameras')
        self.gallery_cameras = _camera_filter(gallery_cameras,
                                              'gallery_cameras')
        self.single_gallery_shot = bool(single_gallery_shot)
        if not isinstance(num_repeats, int) or num_repeats < 1:
            raise ValueError('num_repeats must be a positive integer, got '
                             f'{num_repeats!r}')
        self.num_repeats = num_repeats
        if single_gallery_shot and ap_topk is not None:
            raise ValueError('single_gallery_shot and ap_topk cannot be '
                             'combined')
        self.ap_topk = ap_topk
        self.rank_list_file = check_rank_list_file(rank_list_file)
        if not isinstance(rank_list_topk, int) or rank_list_topk < 1:
            raise ValueError('rank_list_topk must be a positive integer, got '
                             f'{rank_list_topk!r}')
        self.rank_list_topk = rank_list_topk
        self.chunk_size = chunk_size

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the feature and labels of every sample (one result per
        sample, so that distributed collection restores dataset order); a
        sample that ``tasks`` or ``dataset_names`` leave out gets the
        :data:`IGNORED` placeholder."""
        for sample in data_samples:
            if self.filtered and not self._wanted(sample):
                self.results.append(IGNORED)
            else:
                self.results.append(sample_to_result(sample))

    @property
    def filtered(self) -> bool:
        """Whether ``tasks`` or ``dataset_names`` select the samples."""
        return self.tasks is not None or self.dataset_names is not None

    def _wanted(self, sample: dict) -> bool:
        task = sample.get('task')
        if self.tasks is not None and (task is None or normalize_task(task)
                                       not in self.tasks):
            return False
        return (self.dataset_names is None
                or sample.get('dataset_name') in self.dataset_names)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Evaluate every test set among the collected results.

        Args:
            results (list[dict]): One result per sample.

        Returns:
            dict: Metrics in percent, keyed as described in the class doc.
        """
        sets = self._split_sets(results)
        metrics = OrderedDict()
        rank_lists = []
        for (name, task), parts in sets.items():
            where = f'{name}/{task}'
            query = self._filter_cameras(parts['query'], self.query_cameras)
            gallery = self._filter_cameras(parts['gallery'],
                                           self.gallery_cameras)
            if not query:
                raise ValueError(f'{where}: no query samples to evaluate')
            if not gallery:
                raise ValueError(f'{where}: no gallery samples to rank')
            q, g = stack_part(query), stack_part(gallery)
            match_clothes = self.match_clothes
            if match_clothes is None:
                match_clothes = task in CLOTHES_MATCHING_TASKS
            res = self.calculate(
                q['feats'],
                g['feats'],
                q['pids'],
                g['pids'],
                q['camids'] if self.use_camera else None,
                g['camids'] if self.use_camera else None,
                q['clothes_ids'],
                g['clothes_ids'],
                metric=self.metric,
                normalize_feature=self.normalize_feature,
                topk=self.topk,
                max_rank=self.max_rank,
                clothes_mode=self.clothes_mode,
                match_clothes=match_clothes,
                junk_pids=self.junk_pids,
                ap_topk=self.ap_topk,
                single_gallery_shot=self.single_gallery_shot,
                num_repeats=self.num_repeats,
                chunk_size=self.chunk_size)
            num_valid = res.pop('num_valid_queries')
            print_log(
                f'{where}: {len(query)} queries ({num_valid} with a true '
                f'match), {len(gallery)} gallery items',
                logger='current')
            self._add_keys(metrics, res, len(sets), name, task)
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
                        query=query,
                        gallery=gallery,
                        indices=indices,
                        distances=dists))
        if self.rank_list_file is not None:
            dump_rank_lists(self.rank_list_file, rank_lists)
        return metrics

    def _split_sets(self, results: List[dict]) -> 'OrderedDict[Tuple, Dict]':
        """:func:`split_sets` of the results; raises when a metric given
        ``tasks`` or ``dataset_names`` found no sample they select."""
        sets = split_sets(results)
        if not sets and self.filtered:
            wanted = dict(tasks=self.tasks, dataset_names=self.dataset_names)
            wanted = ', '.join(f'{k}={sorted(v)}' for k, v in wanted.items()
                               if v is not None)
            raise ValueError(
                f'{type(self).__name__}({wanted}): none of the '
                f'{len(results)} evaluated samples matches; check the test '
                'sets and the filters of the metric')
        return sets

    def _add_keys(self,
                  metrics: dict,
                  res: dict,
                  num_sets: int,
                  name: str,
                  task: str,
                  sub: Optional[str] = None) -> None:
        """Put ``res`` into ``metrics`` under the keys of the class doc;
        ``sub`` (e.g. a search direction) adds a level after the task."""
        single = num_sets == 1 and not self.filtered
        if single and self.prefix:
            parts = []
        elif single:
            parts = [task]
        else:
            parts = [name, task]
        if sub is not None:
            parts.append(sub)
        for metric_name, value in res.items():
            metrics['/'.join(parts + [metric_name])] = value

    def _prepare(self, feats: np.ndarray) -> np.ndarray:
        return l2_normalize(feats) if self.normalize_feature else feats

    @staticmethod
    def _filter_cameras(items: List[dict], cameras) -> List[dict]:
        if cameras is None:
            return items
        return [it for it in items if it['camid'] in cameras]

    @staticmethod
    def calculate(q_feats,
                  g_feats,
                  q_pids,
                  g_pids,
                  q_camids=None,
                  g_camids=None,
                  q_clothes_ids=None,
                  g_clothes_ids=None,
                  *,
                  metric: str = 'euclidean',
                  normalize_feature: bool = False,
                  topk: Sequence[int] = (1, 5, 10),
                  max_rank: int = 50,
                  clothes_mode: Optional[str] = None,
                  match_clothes: bool = False,
                  junk_pids: Sequence[int] = (-1, ),
                  ap_topk: Optional[int] = None,
                  single_gallery_shot: bool = False,
                  num_repeats: int = 10,
                  chunk_size: Optional[int] = None) -> Dict[str, float]:
        """Evaluate features directly, outside the runner.

        Args:
            q_feats, g_feats (np.ndarray | torch.Tensor): ``(Q, C)`` and
                ``(G, C)`` features.
            q_pids, g_pids (array-like): Person ids.
            q_camids, g_camids (array-like, optional): Camera ids; None
                disables the same-camera junk rule.
            q_clothes_ids, g_clothes_ids (array-like, optional): Outfit
                ids (needed by ``clothes_mode`` and ``match_clothes``).
            Others: as in the class arguments.

        Returns:
            dict: ``R<k>`` for ``k`` in ``topk``, ``mAP``, ``mINP`` (in
            percent) and ``num_valid_queries``.
        """
        topk = check_topk(topk, max_rank)
        if normalize_feature:
            q_feats, g_feats = l2_normalize(q_feats), l2_normalize(g_feats)
        kwargs = dict(
            max_rank=max_rank,
            q_clothes_ids=q_clothes_ids,
            g_clothes_ids=g_clothes_ids,
            clothes_mode=clothes_mode,
            match_clothes=match_clothes,
            junk_pids=junk_pids)
        res = evaluate_rank_from_features(
            q_feats,
            g_feats,
            q_pids,
            g_pids,
            q_camids,
            g_camids,
            metric=metric,
            chunk_size=chunk_size,
            ap_topk=ap_topk,
            **kwargs)
        if single_gallery_shot:
            shot = evaluate_single_gallery_shot(
                q_feats,
                g_feats,
                q_pids,
                g_pids,
                q_camids,
                g_camids,
                metric=metric,
                num_repeats=num_repeats,
                **kwargs)
            res['cmc'] = shot['cmc']
        out = percent_results(res, topk)
        out['num_valid_queries'] = res['num_valid_queries']
        return out
