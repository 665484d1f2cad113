"""Benchmark the rank-metric evaluation against a plain numpy argsort.

Prints one JSON document with, for each case: our time (``ours``: the
numba counting kernel, the CPU path, timed after a warm-up call), the time
of ``numpy.argsort(distmat, axis=1)`` alone, the time of a plain
argsort-based evaluator (argsort, then a loop over queries), their ratios,
and peak memory. Ours and the argsort are timed in turns, in the same
process. ``numba`` reports the JIT compile time of the counting kernel,
measured in a fresh process with an empty numba cache. Cases:

* ``market``: a Market-1501-shaped (3,368 x 15,913) float32 distance
  matrix, from synthetic identity features tuned like a trained model
  (``--difficulty strong``), a weak one (``weak``), or uniformly random
  distances (``random``, the worst case: true matches spread evenly).
* ``msmt17``: MSMT17-shaped features (11,659 queries x 82,161 gallery)
  evaluated by ``evaluate_rank_from_features`` in blocks (all queries by
  default, ``--msmt-queries`` fewer); the peak memory it adds beyond the
  feature matrices is measured with ``tracemalloc``. The argsort reference
  cannot hold the full 3.8 GB distance matrix and its 7.7 GB of indices:
  it, and our ranking of the same matrix, are timed on the first 1,000
  queries, which the JSON says.
* ``cuda``: the Market case and the MSMT17 features on the GPU, when CUDA
  is available.

Example:
    python tools/analysis_tools/eval_benchmark.py --repeats 3
"""
import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np
import torch
from mmengine.logging import MMLogger

from mmreid_instruct.evaluation.functional import (evaluate_rank,
                                                   evaluate_rank_from_features,
                                                   pairwise_distance)

MARKET = dict(num_query=3368, num_gallery=15913, num_ids=751, num_cams=6)
MSMT17 = dict(num_query=11659, num_gallery=82161, num_ids=3060, num_cams=15)

#: Noise of the synthetic features per difficulty (with unit-variance
#: identity centres in 128-d): ``strong`` gives about R1 99 / mAP 89 /
#: mINP 46, ``weak`` about R1 75 / mAP 34 / mINP 3.
NOISE = dict(strong=1.2, weak=1.6)

#: Queries whose results are checked against a stable-argsort evaluator.
CHECKED_QUERIES = 300

#: Run in a fresh process: imports numba and compiles the counting kernel
#: for float32 rows, with numba's disk cache in an empty directory.
COMPILE_SCRIPT = """
import importlib.util, json, sys, time
import numpy as np
t0 = time.perf_counter()
import numba
t1 = time.perf_counter()
spec = importlib.util.spec_from_file_location('rank_numba', sys.argv[1])
kernels = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kernels)
out, first, size = np.empty((3, 1), dtype=np.int64)
kernels.count_positions(np.zeros((1, 2), np.float32), False,
                        np.zeros(0, np.int64), np.array([0, 1]),
                        np.array([1]), np.zeros(1, bool), 2, out, first,
                        size)
t2 = time.perf_counter()
print(json.dumps(dict(import_s=t1 - t0, compile_s=t2 - t1)))
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--repeats',
        type=int,
        default=3,
        help='timed runs per measurement (the minimum is '
        'reported)')
    parser.add_argument(
        '--difficulty',
        nargs='+',
        default=['strong', 'weak', 'random'],
        choices=['strong', 'weak', 'random'],
        help='Market distance matrices to time')
    parser.add_argument(
        '--dim',
        type=int,
        default=128,
        help='feature dimension of the synthetic features')
    parser.add_argument(
        '--msmt-queries',
        type=int,
        default=11659,
        help='MSMT17 queries timed (0 skips the MSMT17 '
        'case; 11659 times them all)')
    parser.add_argument(
        '--msmt-dim',
        type=int,
        default=128,
        help='feature dimension of the MSMT17 features')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def make_labels(rng, num_query, num_gallery, num_ids, num_cams):
    """Pids and cameras with every query identity present in the gallery."""
    q_pids = rng.integers(0, num_ids, num_query)
    g_pids = np.concatenate(
        [np.arange(num_ids),
         rng.integers(0, num_ids, num_gallery - num_ids)])
    return (q_pids, g_pids, rng.integers(0, num_cams, num_query),
            rng.integers(0, num_cams, num_gallery))


def make_features(rng, q_pids, g_pids, num_ids, dim, noise):
    centres = rng.standard_normal((num_ids, dim), dtype=np.float32)
    q = centres[q_pids] + noise * rng.standard_normal(
        (len(q_pids), dim), dtype=np.float32)
    g = centres[g_pids] + noise * rng.standard_normal(
        (len(g_pids), dim), dtype=np.float32)
    return q, g


def reference_evaluate(distmat,
                       q_pids,
                       g_pids,
                       q_camids,
                       g_camids,
                       max_rank=50,
                       kind='quicksort'):
    """A plain argsort-based evaluator, as most ReID code bases have
    (``kind='stable'`` breaks ties by gallery index, like ours)."""
    indices = np.argsort(distmat, axis=1, kind=kind)
    matches = g_pids[indices] == q_pids[:, None]
    cmcs, aps = [], []
    for i in range(len(q_pids)):
        order = indices[i]
        keep = ~((g_pids[order] == q_pids[i]) &
                 (g_camids[order] == q_camids[i]))
        raw = matches[i][keep]
        if not raw.any():
            continue
        cmc = raw.cumsum()
        cmcs.append(np.minimum(cmc[:max_rank], 1))
        hits = np.flatnonzero(raw)
        aps.append(np.mean(np.arange(1, len(hits) + 1) / (hits + 1)))
    return np.mean(cmcs, 0), float(np.mean(aps))


def timed_in_turns(fns, repeats):
    """Minimum wall and CPU time of each of ``fns`` over ``repeats`` rounds
    that run them one after the other; and the last results."""
    walls = {name: [] for name in fns}
    cpus = {name: [] for name in fns}
    results = {}
    for _ in range(repeats):
        for name, fn in fns.items():
            w, c = time.perf_counter(), time.process_time()
            results[name] = fn()
            cpus[name].append(time.process_time() - c)
            walls[name].append(time.perf_counter() - w)
    return ({
        name: min(v)
        for name, v in walls.items()
    }, {
        name: min(v)
        for name, v in cpus.items()
    }, results)


def numba_compile_time():
    """Import and JIT compile seconds of the numba kernel (see
    :data:`COMPILE_SCRIPT`)."""
    import numba

    from mmreid_instruct.evaluation.functional import rank_numba
    with tempfile.TemporaryDirectory() as cache_dir:
        out = subprocess.run(
            [sys.executable, '-c', COMPILE_SCRIPT, rank_numba.__file__],
            env=dict(os.environ, NUMBA_CACHE_DIR=cache_dir),
            check=True,
            capture_output=True,
            text=True).stdout
    return dict(version=numba.__version__, **json.loads(out))


def ours_times(walls, cpus):
    """Our wall and CPU seconds, and their ratios to the argsort's."""
    return dict(
        ours_s=walls['ours'],
        ours_ratio_to_argsort=walls['ours'] / walls['argsort'],
        ours_cpu_s=cpus['ours'],
        ours_cpu_ratio_to_argsort=cpus['ours'] / cpus['argsort'])


def timed(fn, repeats):
    """Minimum wall time and CPU time over ``repeats`` runs, and the
    last result."""
    walls, cpus, results = timed_in_turns(dict(fn=fn), repeats)
    return walls['fn'], cpus['fn'], results['fn']


def traced_peak(fn):
    """Peak bytes allocated (numpy and Python) while ``fn`` runs."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, result


def market_case(args, difficulty, rng):
    labels = make_labels(rng, **MARKET)
    if difficulty == 'random':
        distmat = rng.random((MARKET['num_query'], MARKET['num_gallery']),
                             dtype=np.float32)
    else:
        q, g = make_features(rng, labels[0], labels[1], MARKET['num_ids'],
                             args.dim, NOISE[difficulty])
        distmat = pairwise_distance(q, g)
    # Exactness check on the first queries, against a stable argsort; it
    # is also the warm-up call (numba compiles or loads its kernel).
    n = CHECKED_QUERIES
    first = (distmat[:n], labels[0][:n], labels[1], labels[2][:n], labels[3])
    ref_cmc, ref_map = reference_evaluate(*first, kind='stable')
    check = evaluate_rank(*first)
    exact = (
        np.allclose(check['cmc'], ref_cmc, rtol=0, atol=1e-12)
        and abs(check['mAP'] - ref_map) < 1e-12)
    walls, cpus, results = timed_in_turns(
        dict(
            ours=lambda: evaluate_rank(distmat, *labels),
            argsort=lambda: np.argsort(distmat, axis=1)), args.repeats)
    ref_wall, _, _ = timed(lambda: reference_evaluate(distmat, *labels), 1)
    res = results['ours']
    peak, _ = traced_peak(lambda: evaluate_rank(distmat, *labels))
    ref_peak, _ = traced_peak(lambda: reference_evaluate(distmat, *labels))
    return dict(
        shape=list(distmat.shape),
        difficulty=difficulty,
        R1=round(float(res['cmc'][0]) * 100, 2),
        mAP=round(res['mAP'] * 100, 2),
        mINP=round(res['mINP'] * 100, 2),
        checked_queries=n,
        same_as_stable_reference=bool(exact),
        argsort_s=walls['argsort'],
        argsort_cpu_s=cpus['argsort'],
        reference_s=ref_wall,
        **ours_times(walls, cpus),
        ours_ratio_to_reference=walls['ours'] / ref_wall,
        ours_peak_bytes=peak,
        reference_peak_bytes=ref_peak,
        distmat_bytes=distmat.nbytes)


def msmt_case(args, rng):
    labels = make_labels(rng, **MSMT17)
    q, g = make_features(rng, labels[0], labels[1], MSMT17['num_ids'],
                         args.msmt_dim, NOISE['strong'])
    n = min(args.msmt_queries, MSMT17['num_query'])
    sub = (q[:n], g, labels[0][:n], labels[1], labels[2][:n], labels[3])
    peak, res = traced_peak(lambda: evaluate_rank_from_features(*sub))
    ours_wall, ours_cpu, _ = timed(lambda: evaluate_rank_from_features(*sub),
                                   1)
    # The argsort reference needs the distance matrix: time it (and our
    # ranking of the same matrix) on a slice of the queries.
    m = min(n, 1000)
    dist_wall, _, distmat = timed(lambda: pairwise_distance(q[:m], g), 1)
    first = (labels[0][:m], labels[1], labels[2][:m], labels[3])
    walls, cpus, _ = timed_in_turns(
        dict(
            ours=lambda: evaluate_rank(distmat, *first),
            argsort=lambda: np.argsort(distmat, axis=1)), args.repeats)
    full_q = MSMT17['num_query']
    return dict(
        shape=[full_q, MSMT17['num_gallery']],
        dim=args.msmt_dim,
        R1=round(float(res['cmc'][0]) * 100, 2),
        mAP=round(res['mAP'] * 100, 2),
        mINP=round(res['mINP'] * 100, 2),
        from_features_queries=n,
        ours_from_features_s=ours_wall,
        ours_from_features_cpu_s=ours_cpu,
        distmat_queries=m,
        distance_s=dist_wall,
        argsort_s=walls['argsort'],
        **ours_times(walls, cpus),
        ours_peak_bytes_beyond_features=peak,
        feature_bytes=q.nbytes + g.nbytes,
        reference_full_matrix_bytes=full_q * MSMT17['num_gallery'] * (4 + 8),
        note=f'evaluate_rank_from_features ran on the first {n} of {full_q} '
        f'queries (its peak memory does not grow with the number of '
        f'queries); argsort and evaluate_rank were timed on '
        f'the distance matrix of the first {m}. The reference needs the '
        'float32 distance matrix plus the int64 argsort of all queries '
        '(reference_full_matrix_bytes).')


def cuda_case(args, rng):
    labels = make_labels(rng, **MARKET)
    q, g = make_features(rng, labels[0], labels[1], MARKET['num_ids'],
                         args.dim, NOISE['strong'])
    distmat = torch.from_numpy(pairwise_distance(q, g)).cuda()
    cuda_labels = [torch.from_numpy(x).cuda() for x in labels]

    def sync(fn):

        def run():
            out = fn()
            torch.cuda.synchronize()
            return out

        return run

    ours, _, res = timed(
        sync(lambda: evaluate_rank(distmat, *cuda_labels)), args.repeats)
    sort, _, _ = timed(
        sync(lambda: torch.argsort(distmat, dim=1)), args.repeats)
    cpu_res = evaluate_rank(distmat.cpu().numpy(), *labels)
    msmt_labels = make_labels(rng, **MSMT17)
    q, g = make_features(rng, msmt_labels[0], msmt_labels[1],
                         MSMT17['num_ids'], args.msmt_dim, NOISE['strong'])
    q, g = torch.from_numpy(q).cuda(), torch.from_numpy(g).cuda()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    feat_wall, _, _ = timed(
        sync(lambda: evaluate_rank_from_features(q, g, *msmt_labels)), 1)
    return dict(
        device=torch.cuda.get_device_name(),
        shape=list(distmat.shape),
        ours_s=ours,
        torch_argsort_s=sort,
        ratio_to_argsort=ours / sort,
        same_as_cpu=bool(
            np.array_equal(res['cmc'], cpu_res['cmc'])
            and res['mAP'] == cpu_res['mAP']),
        msmt17_from_features_s=feat_wall,
        msmt17_peak_gpu_bytes_beyond_features=torch.cuda.max_memory_allocated(
        ) - base)


def main():
    args = parse_args()
    # The JSON document is the only output: the warning about tied
    # distances (a few random float32 rows have them) is not printed.
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        report = make_report(args)
    finally:
        logger.setLevel(level)
    print(json.dumps(report, indent=2))


def make_report(args) -> dict:
    """The benchmark's JSON document, as a dict."""
    rng = np.random.default_rng(args.seed)
    report = dict(
        machine=dict(
            processor=platform.processor() or platform.machine(),
            numpy=np.__version__,
            torch=torch.__version__,
            cuda=torch.cuda.is_available()),
        numba=numba_compile_time(),
        repeats=args.repeats,
        market=[market_case(args, d, rng) for d in args.difficulty])
    if args.msmt_queries > 0:
        report['msmt17'] = msmt_case(args, rng)
    if torch.cuda.is_available():
        report['cuda'] = cuda_case(args, rng)
    return report


if __name__ == '__main__':
    main()
