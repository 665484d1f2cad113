"""Does the joint model beat the single-task models? The evidence table.

Reads the metrics files that ``tools/test.py CONFIG CHECKPOINT --out
FILE.json`` writes (a JSON object ``{"<dataset>/<task>/<metric>": value}``,
values in percent) for

- the joint model, trained on every task (``--joint``; without it the
  joint columns stay empty and the targets are not checked);
- the specialists, one single-task model per task (``--specialists``; each
  file holds the keys of one task, which tells its task);
- optionally the one-task-per-step twin of the joint model (``--one-task``),

and prints one Markdown row per task: R1 and mAP of each, the joint minus
specialist mAP, and two references computed from the test lists under
``--data-root``:

- ``random mAP``: the expected mAP of a uniformly random ranking, under the
  protocol the test configs use (``ReIDMetric`` for the ReID tasks, with
  the instructed outfit as a condition of a true match for ``ctcc`` and
  ``li``; ``T2IMetric`` for ``t2i``): every gallery item at the same
  distance, scored with ``RankProtocol(ties='expected')``, the exact
  expectation over every order;
- ``instruction-only mAP`` (``ctcc``, ``li``): the ranking that matches the
  instruction alone (``instruction_only_baseline.py`` in this folder), mean
  over ``--seeds`` random orders of equal instructions.

Below the table it says, for each target of the evidence, whether the
numbers meet it: joint mAP >= specialist mAP - 1 on every task and above it
on at least four; ``ctcc`` and ``li`` at least 5 mAP above the
instruction-only reference; ``vi`` and ``t2i`` at least three times the
random mAP. ``--markdown`` also writes what it prints to a file, ``--json``
the rows and the checks.

Example:
    python tools/analysis_tools/evidence_table.py \\
        --joint work_dirs/evidence/small/joint.json \\
        --specialists work_dirs/evidence/small/specialist-*.json \\
        --one-task work_dirs/evidence/small/one-task.json \\
        --data-root data/synth_omnireid_small
"""
import argparse
import contextlib
import functools
import importlib.util
import json
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger

from mmreid_instruct.evaluation.metrics import ReIDMetric, T2IMetric
from mmreid_instruct.utils.tasks import CLOTHES_MATCHING_TASKS

TASKS = ('trad', 'cc', 'ctcc', 'li', 'vi', 't2i')
#: Tasks with an instruction-only reference (the instruction names the
#: target outfit).
INSTRUCTED_TASKS = ('ctcc', 'li')
#: Tasks whose target is a multiple of the random-ranking mAP.
CHANCE_TASKS = ('vi', 't2i')
METRICS = ('R1', 'mAP')

#: The targets: the joint model may trail a specialist by at most this
#: much mAP, must beat it on at least this many tasks, must beat the
#: instruction-only reference by this much and the random ranking by this
#: factor.
SPECIALIST_TOLERANCE = 1.0
MIN_TASKS_ABOVE_SPECIALIST = 4
INSTRUCTION_ONLY_MARGIN = 5.0
CHANCE_FACTOR = 3.0


def load_metrics(path: str) -> Dict[str, float]:
    """The metrics dict of a ``tools/test.py --out`` JSON file.

    Args:
        path (str): The file.

    Returns:
        dict: ``{key: value}`` as written.

    Raises:
        FileNotFoundError: There is no such file.
        ValueError: The file is not a JSON object of numbers.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path}: no such file; expected the --out file of tools/test.py '
            '(has the row been trained and tested?)')
    with open(path, encoding='utf-8') as f:
        try:
            metrics = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}: not a JSON file ({e}); expected the '
                             '--out file of tools/test.py') from None
    if not isinstance(metrics, dict) or not all(
            isinstance(v, (int, float)) for v in metrics.values()):
        raise ValueError(f'{path}: expected a JSON object of numbers (the '
                         'metrics that tools/test.py --out writes)')
    return metrics


def task_result(metrics: Dict[str, float], task: str, dataset: str,
                path: str) -> Optional[Dict[str, float]]:
    """R1 and mAP of ``task`` in a metrics dict, or None if it has none.

    The keys are ``<dataset>/<task>/<metric>`` (several test sets) or
    ``<task>/<metric>`` (one test set).

    Raises:
        ValueError: The file has one of R1 and mAP of the task but not the
            other.
    """
    found = {}
    for name in METRICS:
        for key in (f'{dataset}/{task}/{name}', f'{task}/{name}'):
            if key in metrics:
                found[name] = float(metrics[key])
                break
    if not found:
        return None
    if len(found) < len(METRICS):
        missing = [m for m in METRICS if m not in found]
        raise ValueError(f'{path}: has {sorted(found)} of {dataset}/{task} '
                         f'but not {missing}')
    return found


def run_results(path: str, dataset: str) -> Dict[str, Dict[str, float]]:
    """``{task: {'R1': .., 'mAP': ..}}`` of every task in a metrics file.

    Raises:
        ValueError: The file holds none of the six tasks.
    """
    metrics = load_metrics(path)
    results = {}
    for task in TASKS:
        res = task_result(metrics, task, dataset, path)
        if res is not None:
            results[task] = res
    if not results:
        raise ValueError(
            f'{path}: no R1/mAP of any task under {dataset}/<task>/ or '
            f'<task>/ (tasks {list(TASKS)}); its keys are '
            f'{sorted(metrics)[:12]}')
    return results


def specialist_results(paths: Sequence[str],
                       dataset: str) -> Dict[str, Dict[str, float]]:
    """The specialists' results by task, one file per task.

    Raises:
        ValueError: A file holds several tasks, or two files the same one.
    """
    by_task, source = {}, {}
    for path in paths:
        results = run_results(path, dataset)
        if len(results) != 1:
            raise ValueError(f'{path}: a specialist file must hold one task, '
                             f'this one holds {sorted(results)}')
        task, res = next(iter(results.items()))
        if task in by_task:
            raise ValueError(f'two specialist files for {task}: '
                             f'{source[task]} and {path}')
        by_task[task], source[task] = res, path
    return by_task


@functools.lru_cache(maxsize=None)
def _instruction_only_tool():
    """The module of ``instruction_only_baseline.py`` next to this file."""
    path = osp.join(
        osp.dirname(osp.abspath(__file__)), 'instruction_only_baseline.py')
    spec = importlib.util.spec_from_file_location('instruction_only_baseline',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _without_tie_warnings():
    """The random ranking ties every gallery item on purpose: the
    evaluation's warning about tied distances is not logged."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def random_ranking_map(data_root: str, task: str, list_pattern: str) -> float:
    """Expected mAP (percent) of a uniformly random ranking of a test set.

    Every query and gallery item gets the same feature, so every gallery
    item is tied with every other; ``ties='expected'`` averages AP over
    every order in closed form. The protocol is that of the metric of the
    test configs for the task.
    """
    tool = _instruction_only_tool()
    query, gallery = (
        tool.load_labels(data_root,
                         list_pattern.format(subset=subset, task=task), task,
                         subset) for subset in ('query', 'gallery'))
    with _without_tie_warnings():
        res = _tied_ranking(task, query, gallery)
    return float(res['mAP'])


def _tied_ranking(task: str, query: dict, gallery: dict) -> dict:
    """The metric of ``task`` for every item at the same distance."""
    q_feats = np.ones((len(query['pid']), 1), np.float32)
    g_feats = np.ones((len(gallery['pid']), 1), np.float32)
    if task == 't2i':
        return T2IMetric.calculate(
            q_feats,
            g_feats,
            query['pid'],
            gallery['pid'],
            protocol=dict(ties='expected'))
    return ReIDMetric.calculate(
        q_feats,
        g_feats,
        query['pid'],
        gallery['pid'],
        query['camid'],
        gallery['camid'],
        query['clothes_id'],
        gallery['clothes_id'],
        protocol=dict(
            ties='expected', match_clothes=task in CLOTHES_MATCHING_TASKS))


def instruction_only_map(data_root: str, task: str, list_pattern: str,
                         seeds: int) -> float:
    """Mean mAP (percent) of the instruction-only ranking over ``seeds``."""
    tool = _instruction_only_tool()
    return float(
        tool.score_task(data_root, list_pattern, task, seeds)['mean']['mAP'])


def build_rows(
        joint: Dict[str, Dict[str, float]],
        specialists: Dict[str, Dict[str, float]],
        one_task: Optional[Dict[str, Dict[str, float]]] = None,
        random_map: Optional[Dict[str, float]] = None,
        instruction_map: Optional[Dict[str, float]] = None) -> List[dict]:
    """One row per task: the numbers of the table (None where missing)."""
    rows = []
    for task in TASKS:
        row = dict(task=task)
        for name, results in (('joint', joint), ('specialist', specialists),
                              ('one_task', one_task or {})):
            res = results.get(task, {})
            for metric in METRICS:
                row[f'{name}_{metric}'] = res.get(metric)
        row['diff_mAP'] = None
        if row['joint_mAP'] is not None and \
                row['specialist_mAP'] is not None:
            row['diff_mAP'] = row['joint_mAP'] - row['specialist_mAP']
        row['random_mAP'] = (random_map or {}).get(task)
        row['instruction_only_mAP'] = (instruction_map or {}).get(task)
        rows.append(row)
    return rows


def _cell(value: Optional[float], signed: bool = False) -> str:
    if value is None:
        return ''
    return f'{value:+.2f}' if signed else f'{value:.2f}'


def format_table(rows: List[dict]) -> str:
    """The Markdown table of the rows; the one-task and reference columns
    only when some row has them."""
    columns = [('joint R1', 'joint_R1'), ('joint mAP', 'joint_mAP'),
               ('specialist R1', 'specialist_R1'),
               ('specialist mAP', 'specialist_mAP'),
               ('joint - specialist mAP', 'diff_mAP')]
    optional = [('one-task R1', 'one_task_R1'),
                ('one-task mAP', 'one_task_mAP'), ('random mAP', 'random_mAP'),
                ('instruction-only mAP', 'instruction_only_mAP')]
    columns += [(title, key) for title, key in optional
                if any(row[key] is not None for row in rows)]
    lines = [
        '| task | ' + ' | '.join(title for title, _ in columns) + ' |',
        '|---' * (len(columns) + 1) + '|'
    ]
    for row in rows:
        cells = [f'`{row["task"]}`'] + [
            _cell(row[key], signed=key == 'diff_mAP') for _, key in columns
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _verdict(failures: List[str], missing: List[str]) -> dict:
    if missing:
        return dict(met=None, detail='missing: ' + ', '.join(missing))
    if failures:
        return dict(met=False, detail='; '.join(failures))
    return dict(met=True, detail='')


def check_targets(rows: List[dict]) -> List[dict]:
    """The targets of the evidence, each with ``met`` (True, False, or None
    when numbers are missing) and what fails or is missing."""
    by_task = {row['task']: row for row in rows}
    checks = []

    missing = [r['task'] for r in rows if r['diff_mAP'] is None]
    failures = [
        f'{r["task"]} {r["diff_mAP"]:+.2f}' for r in rows
        if r['diff_mAP'] is not None and r['diff_mAP'] < -SPECIALIST_TOLERANCE
    ]
    checks.append(
        dict(
            target=f'joint mAP >= specialist mAP - {SPECIALIST_TOLERANCE:g} '
            'on every task',
            **_verdict(failures, missing)))

    above = [
        r['task'] for r in rows
        if r['diff_mAP'] is not None and r['diff_mAP'] > 0
    ]
    failures = [] if len(above) >= MIN_TASKS_ABOVE_SPECIALIST else [
        f'{len(above)} of {len(rows)} ({", ".join(above) or "none"})'
    ]
    checks.append(
        dict(
            target=f'joint mAP > specialist mAP on at least '
            f'{MIN_TASKS_ABOVE_SPECIALIST} of {len(rows)} tasks',
            **_verdict(failures, missing)))

    for tasks, key, target, threshold, explain in (
        (INSTRUCTED_TASKS, 'instruction_only_mAP',
         f'instruction-only mAP + {INSTRUCTION_ONLY_MARGIN:g}',
         lambda ref: ref + INSTRUCTION_ONLY_MARGIN,
         lambda ref: f'{ref:.2f} + {INSTRUCTION_ONLY_MARGIN:g}'),
        (CHANCE_TASKS, 'random_mAP', f'{CHANCE_FACTOR:g} x random mAP',
         lambda ref: CHANCE_FACTOR * ref,
         lambda ref: f'{CHANCE_FACTOR:g} x {ref:.2f}'),
    ):
        missing, failures = [], []
        for task in tasks:
            joint, ref = by_task[task]['joint_mAP'], by_task[task][key]
            if joint is None or ref is None:
                missing.append(task)
                continue
            needed = threshold(ref)
            if joint < needed:
                failures.append(f'{task} {joint:.2f} against {needed:.2f} = '
                                f'{explain(ref)}')
        checks.append(
            dict(
                target=f'{" and ".join(tasks)}: joint mAP >= {target}',
                **_verdict(failures, missing)))
    return checks


def format_checks(checks: List[dict]) -> str:
    """The checks as a Markdown list."""
    words = {True: 'met', False: 'not met', None: 'not checked'}
    return '\n'.join(f'- {c["target"]}: {words[c["met"]]}' +
                     (f' ({c["detail"]})' if c['detail'] else '')
                     for c in checks)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Print the evidence table: the joint model against '
        'single-task models, task by task')
    parser.add_argument(
        '--joint',
        help='tools/test.py --out JSON of the joint model (left out: its '
        'columns stay empty and the targets unchecked, e.g. while the joint '
        'row is still training)')
    parser.add_argument(
        '--specialists',
        nargs='+',
        default=[],
        help='tools/test.py --out JSON of each specialist (one task each)')
    parser.add_argument(
        '--one-task',
        help='tools/test.py --out JSON of the one-task-per-step twin')
    parser.add_argument(
        '--data-root',
        help='folder of the test lists, for the random and the '
        'instruction-only references (left out: no references)')
    parser.add_argument(
        '--list-pattern',
        default='datalist/{subset}_{task}.txt',
        help='list file of a subset and task, relative to --data-root '
        '(default: the SynthOmniReID layout)')
    parser.add_argument(
        '--dataset',
        default='synth_omnireid',
        help='dataset name in the metric keys (default: synth_omnireid)')
    parser.add_argument(
        '--seeds',
        type=int,
        default=10,
        help='random orders averaged by the instruction-only reference '
        '(default: 10)')
    parser.add_argument(
        '--markdown', help='also write the printed Markdown to this file')
    parser.add_argument('--json', help='also write the rows and checks here')
    return parser.parse_args()


def main():
    args = parse_args()
    joint = {}
    if args.joint is not None:
        joint = run_results(args.joint, args.dataset)
    specialists = specialist_results(args.specialists, args.dataset)
    one_task = None
    if args.one_task is not None:
        one_task = run_results(args.one_task, args.dataset)
    random_map = instruction_map = None
    if args.data_root is not None:
        random_map = {
            task: random_ranking_map(args.data_root, task, args.list_pattern)
            for task in TASKS
        }
        instruction_map = {
            task:
            instruction_only_map(args.data_root, task, args.list_pattern,
                                 args.seeds)
            for task in INSTRUCTED_TASKS
        }
    rows = build_rows(joint, specialists, one_task, random_map,
                      instruction_map)
    checks = check_targets(rows)
    text = (format_table(rows) + '\n\n' + format_checks(checks))
    print(text)
    if args.markdown is not None:
        with open(args.markdown, 'w', encoding='utf-8') as f:
            f.write(text + '\n')
    if args.json is not None:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(
                dict(
                    joint=args.joint,
                    specialists=args.specialists,
                    one_task=args.one_task,
                    data_root=args.data_root,
                    rows=rows,
                    checks=checks),
                f,
                indent=2)


if __name__ == '__main__':
    main()
