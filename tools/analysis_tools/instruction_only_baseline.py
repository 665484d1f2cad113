"""How far does matching the instruction alone go on an instructed task?

In ``ctcc`` and ``li`` every gallery row carries its own outfit's
instruction and every query names its target outfit (the clothes id column
of both). A model that only compared instructions would rank first every
gallery item whose instruction names the query's target outfit, in an
order it cannot tell apart. This script scores exactly that ranking, with
random order among equal instructions, averaged over seeds, under the
protocol of the model's evaluation (``ReIDMetric``: a true match is the
query's person in the target outfit). A model that recognises the person
must score above it.

Prints JSON: per task the mean and spread over seeds of R1, R5, R10, mAP and
mINP (percent), and the share of queries whose target outfit is also worn
by another identity in the gallery.

Example:
    python tools/analysis_tools/instruction_only_baseline.py \\
        data/synth_omnireid_tiny --tasks ctcc li
"""
import argparse
import json

import numpy as np

from mmreid_instruct.datasets import OmniReIDList
from mmreid_instruct.evaluation.metrics import ReIDMetric

STATS = ('R1', 'R5', 'R10', 'mAP', 'mINP')


def parse_args():
    parser = argparse.ArgumentParser(
        description='Score the instruction-only ranking of instructed tasks')
    parser.add_argument('data_root', help='folder of the OmniReID lists')
    parser.add_argument(
        '--tasks',
        nargs='+',
        default=['ctcc', 'li'],
        help='instructed tasks to score (default: ctcc li)')
    parser.add_argument(
        '--list-pattern',
        default='datalist/{subset}_{task}.txt',
        help='list file of a subset and task, relative to data_root '
        '(default: the SynthOmniReID layout)')
    parser.add_argument(
        '--seeds',
        type=int,
        default=10,
        help='random tie orders averaged (default: 10)')
    return parser.parse_args()


def load_labels(data_root: str, list_file: str, task: str,
                subset: str) -> dict:
    """pids, cameras and clothes ids (the instructed outfit) of a list."""
    # The records as read from the list (no images needed, nothing logged).
    records = OmniReIDList(
        data_root,
        list_file,
        task,
        subset=subset,
        check_files=False,
        lazy_init=True).load_data_list()
    return {
        key: np.array([r[key] for r in records])
        for key in ('pid', 'camid', 'clothes_id')
    }


def instruction_only_features(clothes_ids: np.ndarray, vocabulary: dict,
                              rng: np.random.Generator) -> np.ndarray:
    """One-hot outfit features; the tiny noise only orders equal ones."""
    feats = np.zeros((len(clothes_ids), len(vocabulary)), np.float32)
    feats[np.arange(len(clothes_ids)),
          [vocabulary[c] for c in clothes_ids]] = 1.
    return feats + 1e-3 * rng.random(feats.shape, dtype=np.float32)


def score_task(data_root: str, pattern: str, task: str,
               num_seeds: int) -> dict:
    query, gallery = (
        load_labels(data_root, pattern.format(subset=subset, task=task), task,
                    subset) for subset in ('query', 'gallery'))
    outfits = np.unique(
        np.concatenate([query['clothes_id'], gallery['clothes_id']]))
    vocabulary = {c: i for i, c in enumerate(outfits.tolist())}
    runs = []
    for seed in range(num_seeds):
        rng = np.random.default_rng(seed)
        # The protocol of the instructed tasks: the target outfit must
        # match.
        res = ReIDMetric.calculate(
            instruction_only_features(query['clothes_id'], vocabulary, rng),
            instruction_only_features(gallery['clothes_id'], vocabulary, rng),
            query['pid'],
            gallery['pid'],
            query['camid'],
            gallery['camid'],
            query['clothes_id'],
            gallery['clothes_id'],
            protocol=dict(match_clothes=True))
        runs.append([res[k] for k in STATS])
    runs = np.array(runs)
    wearers = {}
    for pid, cid in zip(gallery['pid'], gallery['clothes_id']):
        wearers.setdefault(cid, set()).add(pid)
    shared = np.mean(
        [len(wearers.get(cid, ())) > 1 for cid in query['clothes_id']])
    return dict(
        num_queries=len(query['pid']),
        num_gallery=len(gallery['pid']),
        shared_target_fraction=round(float(shared), 4),
        mean={
            k: round(float(v), 2)
            for k, v in zip(STATS, runs.mean(0))
        },
        std={
            k: round(float(v), 2)
            for k, v in zip(STATS, runs.std(0))
        })


def main():
    args = parse_args()
    result = dict(data_root=args.data_root, seeds=args.seeds)
    for task in args.tasks:
        result[task] = score_task(args.data_root, args.list_pattern, task,
                                  args.seeds)
    print(json.dumps(result, indent=2))


if __name__ == '__main__':
    main()
