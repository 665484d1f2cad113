"""Task-free evaluation (Instruct-ReID++): one gallery for every task."""
from collections import OrderedDict
from typing import Dict, List, Optional

import numpy as np
from mmengine.logging import print_log

from mmreid_instruct.registry import METRICS
from mmreid_instruct.utils.tasks import normalize_task
from ..functional.rank import CLOTHES_MODES, evaluate_rank_from_features
from .reid_metric import (CLOTHES_MATCHING_TASKS, ReIDMetric, percent_results,
                          stack_part)
from .vi_reid_metric import merge_rank_results

#: Rule keys a task may set, with their meaning in :func:`evaluate_rank`.
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
            ``junk_pids``, ``normalize_feature``...). The clothes and
            camera options of :class:`ReIDMetric` itself do not apply.

    Example:
        >>> metric = TaskFreeReIDMetric(
        ...     task_rules=dict(cc=dict(clothes_mode='cc')))
    """
    default_prefix = 'task_free'

    def __init__(self,
                 task_rules: Optional[Dict[str, dict]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        unsupported = dict(
            clothes_mode=self.clothes_mode,
            match_clothes=self.match_clothes,
            single_gallery_shot=self.single_gallery_shot,
            ap_topk=self.ap_topk,
            query_cameras=self.query_cameras,
            gallery_cameras=self.gallery_cameras,
            rank_list_file=self.rank_list_file)
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
            if rule.get('clothes_mode') not in CLOTHES_MODES:
                raise ValueError(f'task_rules[{task!r}]: clothes_mode must '
                                 f'be one of {CLOTHES_MODES}')
            task = normalize_task(task)
            rules[task] = dict(rules.get(task, {}), **rule)
        self.task_rules = rules

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Rank every query against the mixed gallery."""
        sets = self._split_sets(results)
        queries = [it for parts in sets.values() for it in parts['query']]
        gallery = [it for parts in sets.values() for it in parts['gallery']]
        if not queries:
            raise ValueError('no query samples to evaluate')
        if not gallery:
            raise ValueError('no gallery samples to rank')
        q, g = stack_part(queries), stack_part(gallery)
        names = np.asarray(
            [str(it['dataset_name']) for it in queries + gallery])
        num_q = len(queries)
        labels = {}
        for key in ('pids', 'camids', 'clothes_ids'):
            values = np.concatenate([q[key], g[key]])
            ids = _global_ids(names, values)
            if key == 'pids':
                ids = np.where(np.isin(values, self.junk_pids), -1, ids)
            labels[key] = (ids[:num_q], ids[num_q:])
        q_feats, g_feats = self._prepare(q['feats']), self._prepare(g['feats'])
        q_tasks = np.asarray([normalize_task(it['task']) for it in queries])
        metrics = OrderedDict()
        per_task = []
        for task in dict.fromkeys(q_tasks):
            rows = np.flatnonzero(q_tasks == task)
            rule = self.task_rules.get(task, {})
            use_camera = rule.get('use_camera', self.use_camera)
            res = evaluate_rank_from_features(
                q_feats[rows],
                g_feats,
                labels['pids'][0][rows],
                labels['pids'][1],
                labels['camids'][0][rows] if use_camera else None,
                labels['camids'][1] if use_camera else None,
                q_clothes_ids=labels['clothes_ids'][0][rows],
                g_clothes_ids=labels['clothes_ids'][1],
                clothes_mode=rule.get('clothes_mode'),
                match_clothes=rule.get('match_clothes', False),
                metric=self.metric,
                max_rank=self.max_rank,
                junk_pids=(-1, ),
                chunk_size=self.chunk_size)
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
