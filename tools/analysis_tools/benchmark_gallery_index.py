"""Benchmark the faiss backends of GalleryIndex against exact search.

Synthetic gallery features shaped like ReID features: identities with 10
images each, every image its identity's centre (N(0, 1) in ``--dims``
dimensions) plus Gaussian noise (std ``--noise``); the queries are other
images of random gallery identities. For every gallery size, the exact
search (``GalleryIndex`` backend ``'exact'``, the evaluator's squared
Euclidean distance) gives the reference top-k; each faiss setting reports
its recall@k against it (the share of the exact top-k it finds), its build
time (training and adding) and its search time per query (all queries in
one call, timed after a warm-up call on 10 queries). Prints one JSON
document.

Example:
    OMP_NUM_THREADS=2 python tools/analysis_tools/benchmark_gallery_index.py \\
        --sizes 100000 1000000
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

from mmreid_instruct.apis.gallery_index import GalleryIndex, import_faiss


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sizes',
        type=int,
        nargs='+',
        default=[100000, 1000000],
        help='gallery sizes')
    parser.add_argument('--dims', type=int, default=256)
    parser.add_argument('--queries', type=int, default=1000)
    parser.add_argument('--topk', type=int, default=10)
    parser.add_argument('--noise', type=float, default=1.0)
    parser.add_argument(
        '--nlist', type=int, default=1024, help='IVF lists of faiss-ivfpq')
    parser.add_argument(
        '--m',
        type=int,
        nargs='+',
        default=[32, 64],
        help='PQ sub-quantisers (bytes per code) to try')
    parser.add_argument(
        '--nprobe',
        type=int,
        nargs='+',
        default=[8, 32],
        help='IVF lists searched per query, to try')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def synthetic(size, num_queries, dims, noise, seed):
    """Gallery and query features of identities of 10 images each."""
    rng = np.random.default_rng(seed)
    num_ids = max(1, size // 10)
    centres = rng.standard_normal((num_ids, dims), dtype=np.float32)
    gallery = np.empty((size, dims), dtype=np.float32)
    step = 100000
    for start in range(0, size, step):
        ids = np.arange(start, min(start + step, size)) % num_ids
        gallery[start:start + len(ids)] = centres[ids] + noise * \
            rng.standard_normal((len(ids), dims), dtype=np.float32)
    ids = rng.integers(0, num_ids, num_queries)
    queries = centres[ids] + noise * rng.standard_normal(
        (num_queries, dims), dtype=np.float32)
    return gallery, queries


def timed_search(index, queries, topk):
    index.search(queries[:10], topk)  # warm-up
    start = time.perf_counter()
    _, indices = index.search(queries, topk)
    return indices, (time.perf_counter() - start) / len(queries)


def recall(found, exact):
    hits = [len(set(f[f >= 0]) & set(e)) for f, e in zip(found, exact)]
    return float(np.mean(hits) / exact.shape[1])


def run_size(size, args):
    gallery, queries = synthetic(size, args.queries, args.dims, args.noise,
                                 args.seed)
    exact_index = GalleryIndex(gallery)
    exact, exact_s = timed_search(exact_index, queries, args.topk)
    rows = [
        dict(
            backend='exact',
            recall=1.0,
            build_s=0.0,
            ms_per_query=1000 * exact_s)
    ]
    settings = [dict(backend='faiss-flat')] + [
        dict(backend='faiss-ivfpq', nlist=args.nlist, m=m, nprobe=nprobe)
        for m in args.m for nprobe in args.nprobe
    ]
    built = {}
    for setting in settings:
        # nprobe is a search setting: one trained index per (nlist, m).
        build_key = (setting['backend'], setting.get('m'))
        start = time.perf_counter()
        if build_key in built:
            index, build_s = built[build_key]
            index.nprobe = setting['nprobe']
        else:
            index = GalleryIndex(gallery, seed=args.seed, **setting)
            build_s = time.perf_counter() - start
            built[build_key] = (index, build_s)
        found, search_s = timed_search(index, queries, args.topk)
        print(f'gallery {size}: {setting} done', file=sys.stderr)
        rows.append(
            dict(
                setting,
                recall=recall(found, exact),
                build_s=build_s,
                ms_per_query=1000 * search_s,
                speedup_vs_exact=exact_s / search_s))
    return dict(
        gallery=size, queries=args.queries, dims=args.dims, results=rows)


def main():
    args = parse_args()
    faiss = import_faiss()
    report = dict(
        machine=dict(
            platform=platform.platform(),
            processor=platform.processor(),
            cpu_count=os.cpu_count(),
            omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
            faiss_threads=faiss.omp_get_max_threads(),
            load_average_start=os.getloadavg()),
        faiss_version=faiss.__version__,
        topk=args.topk,
        noise=args.noise,
        sizes=[])
    for size in args.sizes:
        report['sizes'].append(run_size(size, args))
    report['machine']['load_average_end'] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == '__main__':
    main()
