"""Task-free evaluation (Instruct-ReID++): one gallery for every task."""
import dataclasses
from collections import OrderedDict
from typing import Dict, List, Optional

import numpy as np
from mmengine.logging import print_log

from mmreid_instruct.registry import METRICS
from mmreid_instruct.utils.tasks import CLOTHES_MATCHING_TASKS, normalize_task
from .reid_metric import ReIDMetric
from .utils import merge_rank_results, percent_results, rank_parts, take

#: Protocol fields a task rule may set.
RULE_KEYS = ('clothes_mode', 'match_clothes', 'use_camera')


def _global_ids(names: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Number the distinct ``(name, value)`` pairs 0..N-1."""
    pairs = np.stack([np.unique(names, return_inverse=True)[1], values], 1)
    return np.unique(pairs, axis=0, return_inverse=True)[1].reshape(-1)


@METRICS.register_module()
class TaskFreeReIDMetric(ReIDMetric):
    """Every query against one gallery mixing all test sets' galleries.

    Instruct-ReID++ evaluates without telling the model (or the metric)
    which benchmark a query comes from: each query carries its own
    instruction and is ranked against the union of the galleries of every
    test set among the samples. Identities, cameras and outfits of
    different sets are kept apart (a pid is only the same person within its
    ``dataset_name``). Whether an item is a true match follows the query's
    task: by default ``li`` and ``ctcc`` queries need the target clothes
    (``match_clothes``), ``t2i`` queries ignore cameras, and every other
    task is Market-style; ``task_rules`` overrides this per task.

    Keys: ``task_free/<task>/R1``... per task and ``task_free/R1``... over
    all queries (a ``prefix`` replaces ``task_free``).

    Args:
        task_rules (dict, optional): ``{task: dict(clothes_mode=...,
            match_clothes=..., use_camera=...)}``, merged over the
            defaults.
        **kwargs: :class:`ReIDMetric` arguments (``metric``, ``topk``,
            ``normalize_feature``, ``protocol`` with ``junk_pids``,
            ``use_camera`` or ``max_rank``...); camera subsets, rank lists
            and the protocol's clothes options and ``ap_topk`` do not
            apply.

    Example:
        >>> metric = TaskFreeReIDMetric(
        ...     task_rules=dict(cc=dict(clothes_mode='cc')))
        >>> metric.task_protocols['cc'].clothes_mode
        'cc'
    """
    default_prefix = 'task_free'

    def __init__(self,
                 task_rules: Optional[Dict[str, dict]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        unsupported = dict(
            clothes_mode=self.protocol.clothes_mode,
            match_clothes=self.protocol.match_clothes,
            ap_topk=self.protocol.ap_topk,
            query_cameras=self.query_cameras,
            gallery_cameras=self.gallery_cameras,
            rank_list=self.rank_list)
        unsupported = {
            k: v
            for k, v in unsupported.items() if v is not None and v is not False
        }
        if unsupported:
            raise ValueError('TaskFreeReIDMetric does not support '
                             f'{sorted(unsupported)}; use task_rules')
        rules = {
            task: dict(match_clothes=True)
            for task in CLOTHES_MATCHING_TASKS
        }
        rules['t2i'] = dict(use_camera=False)
        for task, rule in (task_rules or {}).items():
            bad = set(rule) - set(RULE_KEYS)
            if bad:
                raise ValueError(f'task_rules[{task!r}] has unknown keys '
                                 f'{sorted(bad)}; expected {RULE_KEYS}')
            task = normalize_task(task)
            rules[task] = dict(rules.get(task, {}), **rule)
        # Junk pids are mapped to -1 when the sets are mixed.
        self.base_protocol = dataclasses.replace(
            self.protocol, junk_pids=(-1, ))
        #: The protocol of every task with a rule.
        self.task_protocols = {
            task: dataclasses.replace(self.base_protocol, **rule)
            for task, rule in rules.items()
        }

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Rank every query against the mixed gallery."""
        sets = self._split_sets(results)
        queries = [it for parts in sets.values() for it in parts['query']]
        gallery = [it for parts in sets.values() for it in parts['gallery']]
        if not queries:
            raise ValueError('no query samples to evaluate')
        if not gallery:
            raise ValueError('no gallery samples to rank')
        q, g = self._global_labels(queries, gallery)
        q_tasks = np.asarray([normalize_task(it['task']) for it in queries])
        metrics = OrderedDict()
        per_task = []
        for task in dict.fromkeys(q_tasks):
            rows = np.flatnonzero(q_tasks == task)
            res = rank_parts(
                take(q, rows),
                g,
                self.metric,
                self.task_protocols.get(task, self.base_protocol),
                name=f'task-free {task}')
            print_log(
                f'task-free {task}: {len(rows)} queries '
                f'({res["num_valid_queries"]} with a true match) against '
                f'{len(gallery)} gallery items',
                logger='current')
            per_task.append(res)
            for k, v in percent_results(res, self.topk).items():
                metrics[f'{task}/{k}'] = v
        metrics.update(
            percent_results(merge_rank_results(per_task), self.topk))
        return metrics

    def _global_labels(self, queries: List[dict], gallery: List[dict]):
        """Stacked parts whose pids, cameras and outfits are numbered over
        all sets (junk pids become -1)."""
        q, g = self._stack(queries), self._stack(gallery)
        names = np.asarray(
            [str(it['dataset_name']) for it in queries + gallery])
        for key in ('pids', 'camids', 'clothes_ids'):
            values = np.concatenate([q[key], g[key]])
            ids = _global_ids(names, values)
            if key == 'pids':
                ids = np.where(
                    np.isin(values, self.protocol.junk_pids), -1, ids)
            q[key], g[key] = ids[:len(queries)], ids[len(queries):]
        return q, g
