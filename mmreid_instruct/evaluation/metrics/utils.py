"""Helpers shared by the ReID metrics: collecting samples, splitting them
into test sets, stacking labels, building protocols, formatting results and
dumping rank lists."""
import dataclasses
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmengine
import numpy as np
import torch
from mmengine.logging import print_log

from mmreid_instruct.utils.tasks import normalize_task
from ..functional.rank import evaluate_rank_from_features
from ..functional.rank_list import rank_list_from_features, rank_list_from_rows
from ..functional.rank_protocol import MatchRules, RankProtocol
from ..functional.utils import RowSource, check_positive_int

#: Label and meta keys kept from every data sample.
SAMPLE_KEYS = ('pid', 'camid', 'clothes_id', 'modality', 'task', 'subset',
               'dataset_name', 'sample_idx', 'img_path', 'instruction',
               'instruction_img_path')

#: What a metric keeps for a sample it does not evaluate: one entry per
#: sample keeps distributed collection exact, and it must not be None,
#: which mmengine's ``collect_results`` drops.
IGNORED = False

#: Meta keys written to rank-list files.
RANK_LIST_KEYS = ('img_path', 'instruction', 'instruction_img_path', 'pid',
                  'camid', 'clothes_id', 'modality', 'sample_idx')


def sample_to_result(sample: dict, keep_tokens: bool = False) -> dict:
    """The part of a predicted data sample a ReID metric keeps.

    Args:
        sample (dict): A predicted data sample as a dict (the evaluator
            calls ``ReIDDataSample.to_dict()``); needs ``pred_feature``,
            ``pid`` and ``subset``.
        keep_tokens (bool): Also keep the sample's ``pred_tokens`` and
            ``pred_token_mask`` (what an ITM re-rank needs; large, so only
            kept when asked). Defaults to False.

    Returns:
        dict: ``feat`` (1-D CPU float tensor, its own storage) and the
        labels of :data:`SAMPLE_KEYS` (missing ones are None); with
        ``keep_tokens``, ``tokens`` (CPU tensor in the predicted dtype, its
        own storage) and ``token_mask`` (CPU bool tensor), None where the
        sample has none.

    Example:
        >>> res = sample_to_result(dict(pred_feature=[1., 2.], pid=3,
        ...                             subset='query'))
        >>> res['feat'].tolist(), res['pid'], res['camid']
        ([1.0, 2.0], 3, None)
        >>> res = sample_to_result(dict(pred_feature=[1.], pid=3,
        ...                             subset='gallery',
        ...                             pred_tokens=torch.zeros(5, 2)),
        ...                        keep_tokens=True)
        >>> tuple(res['tokens'].shape), res['token_mask']
        ((5, 2), None)
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
    if keep_tokens:
        result['tokens'] = _cpu_copy(sample.get('pred_tokens'))
        result['token_mask'] = _cpu_copy(
            sample.get('pred_token_mask'), torch.bool)
    return result


def _cpu_copy(value, dtype=None) -> Optional[torch.Tensor]:
    """A detached CPU copy of a tensor (None stays None)."""
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        value = torch.as_tensor(np.asarray(value))
    return value.detach().to('cpu', dtype, copy=True)


def split_sets(results: List[dict]) -> 'OrderedDict[Tuple, Dict]':
    """Group collected results into test sets and their query/gallery.

    A test set is one ``(dataset_name, task)``. Results keep the order they
    come in (mmengine's collection restores dataset order), a sample may
    occur only once, and :data:`IGNORED` placeholders are skipped.

    Args:
        results (list[dict]): Results of :func:`sample_to_result`.

    Returns:
        OrderedDict: ``{(dataset_name, task): {'query': [...],
        'gallery': [...]}}`` in order of first appearance.

    Example:
        >>> a = dict(subset='query', task='sc', dataset_name='m',
        ...          sample_idx=None)
        >>> list(split_sets([a, IGNORED]))
        [('m', 'trad')]
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
    """Features and label arrays of a query or gallery part.

    Args:
        items (list[dict]): Results of :func:`sample_to_result`.

    Returns:
        dict: ``feats`` ``(N, C)``, and ``pids``, ``camids``,
        ``clothes_ids`` (int64, -1 where unknown) and ``modality``.

    Example:
        >>> part = stack_part([dict(feat=torch.zeros(2), pid=4, camid=None,
        ...                         clothes_id=None, modality=None)])
        >>> part['feats'].shape, part['camids'].tolist()
        ((1, 2), [-1])
    """
    if not items:
        raise ValueError('empty query or gallery part')
    feats = torch.stack([it['feat'] for it in items]).numpy()
    return dict(
        feats=feats,
        pids=label_array(items, 'pid'),
        camids=label_array(items, 'camid'),
        clothes_ids=label_array(items, 'clothes_id'),
        modality=np.asarray([it['modality'] or 'rgb' for it in items]))


def label_array(items: List[dict], key: str) -> np.ndarray:
    """The integer label ``key`` of every item (int64, -1 where None).

    Example:
        >>> label_array([dict(pid=3), dict(pid=None)], 'pid').tolist()
        [3, -1]
    """
    return np.asarray(
        [-1 if it.get(key) is None else int(it[key]) for it in items],
        dtype=np.int64)


def make_part(feats, pids, camids=None, clothes_ids=None) -> Dict:
    """A part like those of :func:`stack_part`, from features and labels
    given directly (lists become arrays, which the protocols index).

    Example:
        >>> import numpy as np
        >>> make_part(np.zeros((2, 3)), [4, 5])['pids'].tolist()
        [4, 5]
    """

    def array(values):
        return np.asarray(values) if isinstance(values,
                                                (list, tuple)) else values

    return dict(
        feats=feats,
        pids=array(pids),
        camids=array(camids),
        clothes_ids=array(clothes_ids))


def take(part: Dict[str, np.ndarray], index: np.ndarray) -> Dict:
    """The entries ``index`` of every array of a part (None stays None).

    Example:
        >>> import numpy as np
        >>> take(dict(pids=np.array([5, 6, 7])), [2, 0])['pids'].tolist()
        [7, 5]
    """
    return {
        key: None if values is None else values[index]
        for key, values in part.items()
    }


def rank_parts(query: Dict[str, np.ndarray],
               gallery: Dict[str, np.ndarray],
               metric: str,
               protocol: RankProtocol,
               name: Optional[str] = None) -> Dict:
    """:func:`~mmreid_instruct.evaluation.evaluate_rank_from_features` of
    two stacked parts (see :func:`stack_part`); ``name`` (the searched set)
    is named in its warning about tied distances.

    Example:
        >>> import numpy as np
        >>> part = dict(feats=np.eye(2), pids=np.array([1, 2]),
        ...             camids=np.array([0, 1]), clothes_ids=np.array([0, 0]))
        >>> rank_parts(part, part, 'euclidean',
        ...            RankProtocol(use_camera=False))['mAP']
        1.0
    """
    return evaluate_rank_from_features(
        query['feats'],
        gallery['feats'],
        query['pids'],
        gallery['pids'],
        query['camids'],
        gallery['camids'],
        query['clothes_ids'],
        gallery['clothes_ids'],
        metric=metric,
        protocol=protocol,
        name=name)


def build_protocol(protocol: Union[RankProtocol, dict, str, None],
                   defaults: dict) -> RankProtocol:
    """A metric's ``protocol`` argument as a :class:`RankProtocol`: a dict
    is merged over the metric's ``defaults``, a RankProtocol used as is, a
    string names a preset (:meth:`RankProtocol.preset`, whole: the
    metric's defaults do not apply).

    Example:
        >>> build_protocol(dict(ap_topk=500), dict(junk_pids=())).junk_pids
        ()
        >>> build_protocol('official', dict(use_camera=False)).use_camera
        True
    """
    if isinstance(protocol, RankProtocol):
        return protocol
    if isinstance(protocol, str):
        return RankProtocol.preset(protocol)
    if protocol is not None and not isinstance(protocol, dict):
        raise TypeError('protocol must be None, a dict, a preset name or a '
                        f'RankProtocol, got {type(protocol).__name__}')
    options = dict(defaults, **(protocol or {}))
    fields = [f.name for f in dataclasses.fields(RankProtocol)]
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise TypeError(f'protocol has unknown keys {unknown}; expected '
                        f'some of {fields}')
    return RankProtocol(**options)


def protocol_for_task(protocol: RankProtocol, task: Optional[str],
                      clothes_matching_tasks: Sequence[str]) -> RankProtocol:
    """``protocol`` for a test set of ``task``: ``match_clothes`` left None
    becomes True for the ``clothes_matching_tasks``.

    Example:
        >>> protocol_for_task(RankProtocol(), 'li', ['li']).match_clothes
        True
    """
    if protocol.match_clothes is None and task in clothes_matching_tasks:
        return dataclasses.replace(protocol, match_clothes=True)
    return protocol


def percent_results(res: dict, topk: Sequence[int]) -> Dict[str, float]:
    """``R<k>``, ``mAP`` and ``mINP`` in percent from an evaluate result.

    Example:
        >>> dict(percent_results(dict(cmc=[0.5, 1.], mAP=.75, mINP=.5), [2]))
        {'R2': 100.0, 'mAP': 75.0, 'mINP': 50.0}
    """
    out = OrderedDict()
    for k in topk:
        out[f'R{k}'] = float(res['cmc'][k - 1]) * 100
    out['mAP'] = res['mAP'] * 100
    out['mINP'] = res['mINP'] * 100
    return out


def merge_rank_results(results: List[dict]) -> dict:
    """Combine evaluate results of disjoint query groups (weighted by their
    valid queries), as if the groups had been evaluated at once.

    Example:
        >>> import numpy as np
        >>> merge_rank_results([
        ...     dict(cmc=np.ones(1), mAP=1., mINP=1., num_valid_queries=1),
        ...     dict(cmc=np.zeros(1), mAP=0., mINP=0., num_valid_queries=3)
        ... ])['mAP']
        0.25
    """
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
    """Mean of evaluate results over trials.

    Example:
        >>> import numpy as np
        >>> average_trials([
        ...     dict(cmc=np.ones(1), mAP=1., mINP=1., num_valid_queries=2),
        ...     dict(cmc=np.zeros(1), mAP=0., mINP=0., num_valid_queries=2)
        ... ])['mAP']
        0.5
    """
    return dict(
        cmc=np.mean([r['cmc'] for r in results], axis=0),
        mAP=float(np.mean([r['mAP'] for r in results])),
        mINP=float(np.mean([r['mINP'] for r in results])),
        num_valid_queries=results[0]['num_valid_queries'])


def check_topk(topk: Union[int, Sequence[int]],
               max_rank: int) -> Tuple[int, ...]:
    """``topk`` as a tuple after checking it against ``max_rank``.

    Example:
        >>> check_topk(5, max_rank=50)
        (5,)
    """
    topk = (topk, ) if isinstance(topk, int) else tuple(topk)
    if not topk or any(
            not isinstance(k, (int, np.integer)) or k < 1 or k > max_rank
            for k in topk):
        raise ValueError(f'topk must be positive integers no larger than '
                         f'max_rank={max_rank}, got {topk}')
    return topk


def selection(values: Union[str, Sequence, None],
              arg_name: str,
              canonical=None) -> Optional[frozenset]:
    """The ``tasks`` or ``dataset_names`` argument of a metric as a set of
    ``canonical(value)`` (None: no selection).

    Example:
        >>> sorted(selection(['sc', 'cc'], 'tasks', normalize_task))
        ['cc', 'trad']
    """
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    values = list(values)
    if not values:
        raise ValueError(f'{arg_name} must be None (no selection) or a '
                         'non-empty list')
    return frozenset(canonical(v) if canonical else v for v in values)


def camera_selection(cameras: Union[int, Sequence[int], None],
                     name: str) -> Optional[np.ndarray]:
    """A metric's ``query_cameras`` or ``gallery_cameras`` argument as an
    array of camera ids (None: every camera).

    Example:
        >>> camera_selection(2, 'query_cameras').tolist()
        [2]
    """
    if cameras is None:
        return None
    cameras = [cameras] if isinstance(cameras, int) else list(cameras)
    if not cameras or not all(
            isinstance(c, (int, np.integer)) for c in cameras):
        raise ValueError(f'{name} must be None or a non-empty list of camera '
                         f'ids, got {cameras!r}')
    return np.asarray(cameras, dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class RankListDump:
    """Rank lists of a metric's searches, written to a ``.json`` file.

    For every search (test set, and direction) the file holds the
    ``query`` and ``gallery`` samples (the keys of
    :data:`RANK_LIST_KEYS`), and for every query the ``indices`` of its
    ``topk`` closest gallery items (into ``gallery``; the raw ranking, ties
    by gallery index) and their ``distances``. When the metric gives its
    protocol, the entry also holds the ``metric``, the ``protocol`` (its
    fields) and, for every listed item, whether the protocol counts it as
    a true match (``is_match``) or as junk (``is_junk``). Metrics take it
    as ``rank_list=dict(out_file=..., topk=...)``.

    Args:
        out_file (str): The ``.json`` file to write.
        topk (int): Gallery items per query. Defaults to 10.

    Example:
        >>> RankListDump('work_dirs/ranks.json').topk
        10
    """
    out_file: str
    topk: int = 10

    def __post_init__(self):
        if not str(self.out_file).endswith('.json'):
            raise ValueError('rank_list out_file must end with .json, got '
                             f'{self.out_file!r}')
        check_positive_int(self.topk, 'rank_list topk')

    @classmethod
    def build(cls, cfg: Union['RankListDump', dict, None]):
        """The ``rank_list`` argument of a metric: a dict of the arguments,
        a RankListDump, or None (no dump)."""
        if cfg is None or isinstance(cfg, cls):
            return cfg
        if not isinstance(cfg, dict):
            raise TypeError('rank_list must be None or a dict like '
                            "dict(out_file='ranks.json', topk=10), got "
                            f'{cfg!r}')
        return cls(**cfg)

    def entry(self,
              search: Sequence,
              query: List[dict],
              gallery: List[dict],
              q_feats: np.ndarray,
              g_feats: np.ndarray,
              metric: str,
              protocol: Optional[RankProtocol] = None,
              rows: Optional[RowSource] = None) -> dict:
        """The rank lists of one search.

        Args:
            search (tuple): ``(dataset_name, task, direction)``.
            query, gallery (list[dict]): The results of the samples.
            q_feats, g_feats (np.ndarray): Their features, as ranked.
            metric (str): ``'euclidean'`` or ``'cosine'``.
            protocol (RankProtocol, optional): The protocol the search is
                evaluated with; given, the entry says which listed items
                are true matches and which are junk. Defaults to None.
            rows (RowSource, optional): The distances the search is
                ranked by, when they are not those of the features (e.g.
                :class:`~..functional.itm_rerank.ReRankedRows`). Defaults
                to None.

        Returns:
            dict: The entry, as written by :meth:`write`.
        """
        if rows is None:
            indices, dists = rank_list_from_features(
                q_feats, g_feats, self.topk, metric=metric)
        else:
            indices, dists = rank_list_from_rows(rows, self.topk)

        def meta(items):
            return [{k: it.get(k) for k in RANK_LIST_KEYS} for it in items]

        dataset_name, task, direction = search
        entry = dict(
            dataset_name=dataset_name,
            task=task,
            direction=direction,
            query=meta(query),
            gallery=meta(gallery),
            indices=indices.tolist(),
            distances=dists.tolist())
        if protocol is not None:
            rules = MatchRules(protocol, (len(query), len(gallery)),
                               label_array(query, 'pid'),
                               label_array(gallery, 'pid'),
                               label_array(query, 'camid'),
                               label_array(gallery, 'camid'),
                               label_array(query, 'clothes_id'),
                               label_array(gallery, 'clothes_id'))
            rows = np.repeat(np.arange(len(query)), indices.shape[1])
            is_match, is_junk = rules.classify(rows, indices.reshape(-1))
            entry.update(
                metric=metric,
                protocol=dataclasses.asdict(protocol),
                is_match=is_match.reshape(indices.shape).tolist(),
                is_junk=is_junk.reshape(indices.shape).tolist())
        return entry

    def write(self, entries: List[dict]) -> None:
        """Write the entries of every search to :attr:`out_file`."""
        mmengine.mkdir_or_exist(osp.dirname(osp.abspath(self.out_file)))
        with open(self.out_file, 'w') as f:
            json.dump(dict(sets=entries), f)
        print_log(f'Rank lists written to {self.out_file}', logger='current')
