"""Draw the rank lists of a test run: one PNG per query.

The input is the rank-list dump of a ReID metric, written when the metric
has ``rank_list=dict(out_file=..., topk=...)`` (see
``docs/en/advanced_guides/evaluation.md``). Every picture shows the query
(its image, or the caption of a text query), its instruction (a text above,
a clothes image beside the query, or both) and its top-k gallery items with
their distances and pids, framed:

- green: a true match under the protocol the metric evaluated with;
- grey: junk, an item that protocol ignores (e.g. the query's person seen
  by the query's camera, or an item of a junk pid); it is shown where the
  model ranked it, as in the raw ranking;
- red: any other item.

A dump without the protocol's verdicts (``is_match`` and ``is_junk``;
older dumps) is drawn from pids alone: green for the query's pid, red
otherwise, nothing marked junk.

Writes ``<out-dir>/<dataset>_<task>[_<direction>]/q<index>.png`` (index:
the query's position in the dump's query list of its search) and an
``index.html`` showing them all.

Example:
    python tools/test.py CONFIG CHECKPOINT --cfg-options \\
        +test_evaluator.rank_list.out_file=work_dirs/ranks.json
    python tools/analysis_tools/visualize_rank_list.py \\
        work_dirs/ranks.json --out-dir work_dirs/rank_lists \\
        --num-queries 20 --topk 5
"""
import argparse
import html
import json
import os
import os.path as osp
import sys
from typing import List, Optional

from mmreid_instruct.utils.tasks import normalize_task
from mmreid_instruct.visualization import save_rank_list


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Draw the rank lists of a ReID metric dump')
    parser.add_argument('dump', help='the rank-list .json file of a test run')
    parser.add_argument(
        '--out-dir', required=True, help='folder to write the PNGs to')
    parser.add_argument(
        '--task',
        help='draw only the searches of this task (any spelling, e.g. sc '
        'or trad; default: every task)')
    parser.add_argument(
        '--dataset', help='draw only the searches of this dataset name')
    parser.add_argument(
        '--num-queries',
        type=int,
        help='draw the first N queries of every search (default: all)')
    parser.add_argument(
        '--query-ids',
        type=int,
        nargs='+',
        help='draw these queries (positions in the query list of every '
        'selected search) instead of the first --num-queries')
    parser.add_argument(
        '--topk',
        type=int,
        help='matches per query, at most the topk of the dump (default: '
        'every match in the dump)')
    parser.add_argument(
        '--root',
        help='folder that relative image paths of the dump are relative to '
        '(default: the current folder, as for tools/test.py)')
    args = parser.parse_args(argv)
    for name in ('num_queries', 'topk'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1, '
                         f'got {value}')
    if args.query_ids is not None and args.num_queries is not None:
        parser.error('give --query-ids or --num-queries, not both')
    if args.task is not None:
        try:
            args.task = normalize_task(args.task)
        except ValueError as error:
            parser.error(f'--task: {error}')
    return args


def load_dump(path: str) -> List[dict]:
    """The searches of a rank-list dump, checked."""
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get('sets'), list):
        raise ValueError(f'{path}: not a rank-list dump (expected a JSON '
                         'object with a "sets" list, as ReIDMetric\'s '
                         'rank_list option writes)')
    required = ('query', 'gallery', 'indices', 'distances')
    for i, entry in enumerate(data['sets']):
        missing = [key for key in required if key not in entry]
        if missing:
            raise ValueError(f'{path}: sets[{i}] lacks {missing}')
    return data['sets']


def search_name(entry: dict) -> str:
    """The folder name of a search."""
    parts = [entry.get('dataset_name'), entry.get('task')]
    if entry.get('direction'):
        parts.append(entry['direction'])
    return '_'.join(str(p) for p in parts)


def wanted(entry: dict, args) -> bool:
    """Whether a search passes ``--task`` and ``--dataset``."""
    task = entry.get('task')
    if args.task is not None and (task is None
                                  or normalize_task(task) != args.task):
        return False
    return args.dataset is None or entry.get('dataset_name') == args.dataset


def selected_queries(entry: dict, args) -> List[int]:
    """Positions of the queries to draw in a search."""
    num = len(entry['query'])
    if args.query_ids is None:
        if args.num_queries is not None:
            num = min(num, args.num_queries)
        return list(range(num))
    bad = [i for i in args.query_ids if not 0 <= i < num]
    if bad:
        raise ValueError(f'--query-ids {bad}: search {search_name(entry)} '
                         f'has queries 0..{num - 1}')
    return list(args.query_ids)


def resolve(path: Optional[str], root: Optional[str]) -> Optional[str]:
    if path is None or root is None or osp.isabs(path):
        return path
    return osp.join(root, path)


def known(value) -> bool:
    """Whether a label is set (None and -1 mean unknown)."""
    return value is not None and value != -1


def query_label(sample: dict) -> str:
    parts = []
    for key, name in (('pid', 'id'), ('camid', 'cam'), ('clothes_id',
                                                        'clothes')):
        if known(sample.get(key)):
            parts.append(f'{name} {sample[key]}')
    return ' '.join(parts)


def rank_list_matches(entry: dict, qi: int, topk: Optional[int],
                      root: Optional[str]) -> List[dict]:
    """The ``matches`` of query ``qi`` for ``save_rank_list``."""
    query = entry['query'][qi]
    indices = entry['indices'][qi][:topk]
    matches = []
    for rank, gi in enumerate(indices):
        item = entry['gallery'][gi]
        if 'is_match' in entry:
            correct = bool(entry['is_match'][qi][rank])
            junk = bool(entry['is_junk'][qi][rank])
        else:
            correct, junk = None, False
            if known(query.get('pid')) and known(item.get('pid')):
                correct = item['pid'] == query['pid']
        if item.get('img_path') is None:
            raise ValueError(f'{search_name(entry)}: gallery item {gi} has '
                             'no img_path')
        matches.append(
            dict(
                img_path=resolve(item['img_path'], root),
                distance=entry['distances'][qi][rank],
                pid=item.get('pid'),
                correct=correct,
                junk=junk))
    return matches


def draw_query(entry: dict, qi: int, path: str, args) -> str:
    """Write the picture of query ``qi`` of a search to ``path``."""
    query = entry['query'][qi]
    if query.get('img_path') is not None:
        picture = resolve(query['img_path'], args.root)
        instruction = [
            query.get('instruction'),
            resolve(query.get('instruction_img_path'), args.root)
        ]
        instruction = [item for item in instruction if item is not None]
    else:
        # A text query: its caption is the query, there is no other
        # instruction.
        if not query.get('instruction'):
            raise ValueError(f'{search_name(entry)}: query {qi} has neither '
                             'an img_path nor a caption (instruction)')
        picture, instruction = query['instruction'], None
    matches = rank_list_matches(entry, qi, args.topk, args.root)
    try:
        return save_rank_list(
            path,
            picture,
            matches,
            instruction=instruction,
            query_label=query_label(query))
    except FileNotFoundError as error:
        hint = '' if args.root else ' (relative paths are read from the ' \
            'current folder; see --root)'
        raise FileNotFoundError(f'{search_name(entry)} query {qi}: {error}'
                                f'{hint}') from None


def write_index(out_dir: str, pages: List[tuple]) -> str:
    """An ``index.html`` showing every picture, grouped by search."""
    body = []
    for name, files in pages:
        body.append(f'<h2>{html.escape(name)}</h2>')
        for rel in files:
            body.append(f'<p>{html.escape(rel)}<br>'
                        f'<img src="{html.escape(rel)}"></p>')
    path = osp.join(out_dir, 'index.html')
    os.makedirs(out_dir, exist_ok=True)
    with open(path, 'w') as f:
        f.write('<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
                '<title>Rank lists</title></head><body>\n' + '\n'.join(body) +
                '\n</body></html>\n')
    return path


def main(argv=None) -> int:
    args = parse_args(argv)
    sets = load_dump(args.dump)
    chosen = [entry for entry in sets if wanted(entry, args)]
    if not chosen:
        available = sorted({search_name(e) for e in sets})
        raise ValueError(f'{args.dump}: no search of task={args.task} '
                         f'dataset={args.dataset}; the dump holds '
                         f'{available}')
    pages = []
    for entry in chosen:
        dump_topk = max((len(row) for row in entry['indices']), default=0)
        if args.topk is not None and args.topk > dump_topk:
            raise ValueError(
                f'--topk {args.topk}: the dump holds {dump_topk} matches '
                f'per query in {search_name(entry)}; test again with a '
                'larger rank_list topk')
        name = search_name(entry)
        files = []
        for qi in selected_queries(entry, args):
            rel = osp.join(name, f'q{qi:05d}.png')
            draw_query(entry, qi, osp.join(args.out_dir, rel), args)
            files.append(rel)
        pages.append((name, files))
        print(f'{name}: {len(files)} rank lists written to '
              f'{osp.join(args.out_dir, name)}')
    print(f'index: {write_index(args.out_dir, pages)}')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (ValueError, FileNotFoundError) as error:
        sys.exit(f'visualize_rank_list.py: error: {error}')
