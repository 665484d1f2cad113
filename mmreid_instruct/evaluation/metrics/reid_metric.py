"""Market-style ReID metric, the base of the other protocols' metrics."""
from collections import OrderedDict
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmreid_instruct.registry import METRICS
from mmreid_instruct.utils.tasks import CLOTHES_MATCHING_TASKS, normalize_task
from ..functional.distance import check_metric, l2_normalize
from ..functional.rank_protocol import RankProtocol
from .utils import (IGNORED, RankListDump, build_protocol, camera_selection,
                    check_topk, make_part, percent_results, protocol_for_task,
                    rank_parts, sample_to_result, selection, split_sets,
                    stack_part)


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """Market-style CMC / mAP / mINP of every test set among the samples.

    Every ``(dataset_name, task)`` among the collected samples is a test
    set (query and gallery are told apart by each sample's ``subset``); its
    queries are ranked against its gallery under ``protocol``. Keys, in
    percent: ``<task>/R<k>`` for ``k`` in ``topk``, ``<task>/mAP`` and
    ``<task>/mINP``; ``<dataset_name>/<task>/...`` when there are several
    test sets or when ``tasks`` or ``dataset_names`` select samples. The
    key scheme and the benchmark protocols are described in
    ``docs/en/advanced_guides/evaluation.md``.

    Args:
        metric (str): ``'euclidean'`` or ``'cosine'``. Defaults to
            ``'euclidean'``.
        normalize_feature (bool): L2-normalise features before computing
            distances. Defaults to False.
        topk (Sequence[int]): CMC ranks reported, at most
            ``protocol.max_rank``. Defaults to (1, 5, 10).
        protocol (dict | RankProtocol | str, optional): How queries are
            matched and scored
            (:class:`~mmreid_instruct.evaluation.RankProtocol`); a dict,
            e.g. ``dict(clothes_mode='cc')``, is merged over the metric's
            :attr:`default_protocol`; a string names a preset, e.g.
            ``'official'`` (the official Instruct-ReID evaluator). With
            ``match_clothes`` left None, test sets of the tasks in
            :attr:`clothes_matching_tasks` get ``match_clothes=True``.
            Defaults to None.
        query_cameras (Sequence[int], optional): Evaluate only the queries
            of these cameras (ids as stored in the samples).
        gallery_cameras (Sequence[int], optional): Rank only the gallery
            items of these cameras.
        tasks (Sequence[str], optional): Evaluate only the samples of these
            tasks (any spelling, e.g. ``'sc'`` or ``'trad'``). Defaults to
            None (every task).
        dataset_names (Sequence[str], optional): Evaluate only the samples
            of these datasets; with ``tasks`` too, a sample must pass both.
            Defaults to None (every dataset).
        rank_list (dict, optional): Arguments of
            :class:`~mmreid_instruct.evaluation.metrics.utils.RankListDump`,
            e.g. ``dict(out_file='work_dirs/ranks.json')``, to write the
            rank lists of every test set. Defaults to None.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Replaces ``<task>`` in the keys of a single
            test set; put in front of the keys otherwise.

    Example:
        >>> import numpy as np
        >>> q = np.array([[0., 0.], [5., 5.]])
        >>> g = np.array([[0., 1.], [5., 4.], [9., 9.]])
        >>> res = ReIDMetric.calculate(q, g, [0, 1], [0, 1, 2], [0, 0],
        ...                            [1, 1, 1])
        >>> res['R1'], res['mAP']
        (100.0, 100.0)
    """
    # The keys carry the test set; BaseMetric adds ``prefix`` when given.
    default_prefix = ''

    #: Protocol fields of this metric that a ``protocol`` dict overrides.
    default_protocol: dict = {}

    #: Tasks whose instruction names the target outfit.
    clothes_matching_tasks: Tuple[str, ...] = CLOTHES_MATCHING_TASKS

    def __init__(self,
                 metric: str = 'euclidean',
                 normalize_feature: bool = False,
                 topk: Sequence[int] = (1, 5, 10),
                 protocol: Union[dict, RankProtocol, None] = None,
                 query_cameras: Optional[Sequence[int]] = None,
                 gallery_cameras: Optional[Sequence[int]] = None,
                 tasks: Optional[Sequence[str]] = None,
                 dataset_names: Optional[Sequence[str]] = None,
                 rank_list: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.metric = check_metric(metric)
        self.normalize_feature = bool(normalize_feature)
        self.protocol = build_protocol(protocol, self.default_protocol)
        self.topk = check_topk(topk, self.protocol.max_rank)
        # The search being evaluated, named in the warning about ties.
        self.query_cameras = camera_selection(query_cameras, 'query_cameras')
        self.gallery_cameras = camera_selection(gallery_cameras,
                                                'gallery_cameras')
        # Unknown task names raise in normalize_task.
        self.tasks = selection(tasks, 'tasks', normalize_task)
        self.dataset_names = selection(dataset_names, 'dataset_names')
        self.rank_list = RankListDump.build(rank_list)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the feature and labels of every sample (one result per
        sample, so that distributed collection restores dataset order); a
        sample that ``tasks`` or ``dataset_names`` leave out gets the
        :data:`~.utils.IGNORED` placeholder."""
        for sample in data_samples:
            if self.filtered and not self._wanted(sample):
                self.results.append(IGNORED)
            else:
                self.results.append(self._result(sample))

    def _result(self, sample: dict) -> dict:
        """What is kept of a sample: :func:`~.utils.sample_to_result`."""
        return sample_to_result(sample)

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
        """Evaluate every search (test set, or direction of one) among the
        collected results.

        Args:
            results (list[dict]): One result per sample.

        Returns:
            dict: Metrics in percent, keyed as described in the class doc.
        """
        sets = self._split_sets(results)
        metrics = OrderedDict()
        rank_lists = []
        for (name, task), parts in sets.items():
            protocol = protocol_for_task(self.protocol, task,
                                         self.clothes_matching_tasks)
            for direction, query, gallery in self._searches(name, task, parts):
                q, g = self._stack(query), self._stack(gallery)
                where = f'{name}/{task}' + (f'/{direction}'
                                            if direction else '')
                res = self._evaluate(q, g, protocol, where)
                print_log(
                    f'{where}: {len(query)} queries '
                    f'({res["num_valid_queries"]} with a true match), '
                    f'{len(gallery)} gallery items{self._log_note()}',
                    logger='current')
                self._add_keys(metrics, percent_results(res, self.topk),
                               len(sets), name, task, direction)
                if self.rank_list is not None:
                    rank_lists.append(
                        self._rank_list_entry((name, task, direction), query,
                                              gallery, q, g, protocol))
        if self.rank_list is not None:
            self.rank_list.write(rank_lists)
        return metrics

    @classmethod
    def calculate(cls,
                  q_feats,
                  g_feats,
                  q_pids,
                  g_pids,
                  q_camids=None,
                  g_camids=None,
                  q_clothes_ids=None,
                  g_clothes_ids=None,
                  **kwargs) -> Dict[str, float]:
        """Evaluate features directly, outside the runner, as a metric built
        with ``kwargs`` evaluates one test set.

        Args:
            q_feats, g_feats (np.ndarray | torch.Tensor): ``(Q, C)`` and
                ``(G, C)`` features.
            q_pids, g_pids (array-like): Person ids.
            q_camids, g_camids (array-like, optional): Camera ids (needed
                unless the protocol has ``use_camera=False``).
            q_clothes_ids, g_clothes_ids (array-like, optional): Outfit
                ids (needed by ``clothes_mode`` and ``match_clothes``).
            **kwargs: Arguments of the metric class: ``metric``,
                ``normalize_feature``, ``topk``, ``protocol`` (its
                ``match_clothes`` is used as given) and those of a
                subclass.

        Returns:
            dict: ``R<k>`` for ``k`` in ``topk``, ``mAP``, ``mINP`` (in
            percent) and ``num_valid_queries``.
        """
        metric = cls(**kwargs)
        query = make_part(
            metric._normalized(q_feats), q_pids, q_camids, q_clothes_ids)
        gallery = make_part(
            metric._normalized(g_feats), g_pids, g_camids, g_clothes_ids)
        res = metric._evaluate(query, gallery, metric.protocol)
        out = percent_results(res, metric.topk)
        out['num_valid_queries'] = res['num_valid_queries']
        return out

    def _evaluate(self,
                  q: dict,
                  g: dict,
                  protocol: RankProtocol,
                  name: Optional[str] = None) -> dict:
        """Functional result (``cmc``, ``mAP``, ``mINP``,
        ``num_valid_queries``) of a stacked query and gallery part;
        ``name`` names the search in warnings."""
        return rank_parts(q, g, self.metric, protocol, name)

    def _rank_list_entry(self, search: Tuple, query: List[dict],
                         gallery: List[dict], q: dict, g: dict,
                         protocol: RankProtocol) -> dict:
        """The rank lists of a search (see :meth:`RankListDump.entry`), from
        its results and their stacked parts."""
        return self.rank_list.entry(search, query, gallery, q['feats'],
                                    g['feats'], self.metric, protocol)

    def _searches(self, name: str, task: str, parts: dict) -> Iterator[Tuple]:
        """``(direction, query, gallery)`` of every search of a test set;
        here one search, with no direction."""
        yield self._camera_subsets(f'{name}/{task}', None, parts['query'],
                                   parts['gallery'])

    def _camera_subsets(self, where: str, direction: Optional[str],
                        query: List[dict], gallery: List[dict]) -> Tuple:
        """A search restricted to ``query_cameras`` and ``gallery_cameras``;
        raises when nothing is left to evaluate."""
        if self.query_cameras is not None:
            query = [it for it in query if it['camid'] in self.query_cameras]
        if self.gallery_cameras is not None:
            gallery = [
                it for it in gallery if it['camid'] in self.gallery_cameras
            ]
        what = where + (f' ({direction})' if direction else '')
        if not query:
            raise ValueError(f'{what}: no query samples to evaluate')
        if not gallery:
            raise ValueError(f'{what}: no gallery samples to rank')
        return direction, query, gallery

    def _stack(self, items: List[dict]) -> Dict[str, np.ndarray]:
        """:func:`~.utils.stack_part`, features normalised if asked."""
        part = stack_part(items)
        part['feats'] = self._normalized(part['feats'])
        return part

    def _normalized(self, feats):
        return l2_normalize(feats) if self.normalize_feature else feats

    def _log_note(self) -> str:
        """Text appended to the log line of every search."""
        return ''

    def _split_sets(self, results: List[dict]) -> 'OrderedDict[Tuple, Dict]':
        """:func:`~.utils.split_sets` of the results; raises when a metric
        given ``tasks`` or ``dataset_names`` found no sample they select."""
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
