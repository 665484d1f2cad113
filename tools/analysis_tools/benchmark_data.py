"""Cost of a config's training data pipeline on this machine.

Prints one JSON document with:

* ``decode``: milliseconds per image of ``LoadReIDImage`` with each mmcv
  decoding backend (``cv2``, ``pillow``), and whether the backends give
  identical pixels;
* ``transforms``: milliseconds per image of each transform of the train
  pipeline, run one after the other on the same samples, and their share
  of the pipeline's total;
* ``loader``: images per second of the config's train dataloader with
  each worker count and ``pin_memory`` setting (the first batch, which
  starts the workers, is timed apart as ``first_batch_s``).

Example:
    python tools/analysis_tools/benchmark_data.py \\
        configs/irm/irm_vit-tiny_synth-omnireid-tiny.py
"""
import argparse
import copy
import json
import time

import numpy as np
import torch
from mmengine.config import DictAction

from mmreid_instruct.utils.speed_benchmark import (device_name,
                                                   load_benchmark_config)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Decoding, augmentation and loader cost per image')
    parser.add_argument('config', help='the config file')
    parser.add_argument(
        '--num-images',
        type=int,
        default=128,
        help='images timed in the decode and transform parts')
    parser.add_argument(
        '--backends',
        nargs='+',
        default=['cv2', 'pillow'],
        help='mmcv decoding backends to compare')
    parser.add_argument(
        '--workers',
        nargs='+',
        type=int,
        default=[0, 1, 2],
        help='dataloader worker counts')
    parser.add_argument(
        '--pin-memory',
        nargs='+',
        choices=['false', 'true'],
        default=['false', 'true'],
        help='pin_memory settings')
    parser.add_argument(
        '--batches',
        type=int,
        default=4,
        help='timed batches per loader setting (after the first)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    return parser.parse_args(argv)


def build_train_dataset(cfg):
    """The config's training dataset, with its pipeline kept apart: the
    dataset built without one and the list of transform configs."""
    from mmreid_instruct.registry import DATASETS
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    return DATASETS.build(dataset_cfg)


def sample_indices(dataset, num: int):
    """``num`` indices spread evenly over the dataset (every training list
    of a concatenation is sampled)."""
    return np.linspace(0, len(dataset) - 1, num).round().astype(int).tolist()


def pipeline_of(dataset, index: int):
    """The transforms applied to item ``index`` of a dataset or of a
    concatenation of datasets."""
    if hasattr(dataset, 'datasets'):
        for sub in dataset.datasets:
            if index < len(sub):
                return pipeline_of(sub, index)
            index -= len(sub)
        raise IndexError(index)
    return dataset.pipeline.transforms


def data_info(dataset, index: int) -> dict:
    """The record of item ``index`` before its pipeline."""
    if hasattr(dataset, 'datasets'):
        for sub in dataset.datasets:
            if index < len(sub):
                return data_info(sub, index)
            index -= len(sub)
        raise IndexError(index)
    return copy.deepcopy(dataset.get_data_info(index))


def time_decode(dataset, indices, backends):
    """ms per image of LoadReIDImage with each backend, and whether all
    backends decode the same pixels."""
    from mmreid_instruct.datasets.transforms import LoadReIDImage
    result, pixels = {}, {}
    for backend in backends:
        images = []
        total = 0.
        for index in indices:
            load = pipeline_of(dataset, index)[0]
            if not isinstance(load, LoadReIDImage):
                raise ValueError('the train pipeline must start with '
                                 f'LoadReIDImage, got {type(load).__name__}')
            load = copy.copy(load)
            load.imdecode_backend = backend
            info = data_info(dataset, index)
            start = time.perf_counter()
            out = load(info)
            total += time.perf_counter() - start
            images.append(out.get('img'))
        result[backend] = 1000 * total / len(indices)
        pixels[backend] = images
    first = pixels[backends[0]]
    identical = all(
        all((a is None and b is None) or np.array_equal(a, b)
            for a, b in zip(first, pixels[other])) for other in backends[1:])
    return dict(ms_per_image=result, identical_pixels=identical)


def time_transforms(dataset, indices):
    """ms per image of each transform of the pipeline, in order."""
    names, totals = [], []
    for index in indices:
        results = data_info(dataset, index)
        for i, transform in enumerate(pipeline_of(dataset, index)):
            if i == len(names):
                names.append(type(transform).__name__)
                totals.append(0.)
            start = time.perf_counter()
            results = transform(results)
            totals[i] += time.perf_counter() - start
    total = sum(totals)
    return [
        dict(
            transform=name,
            ms_per_image=1000 * t / len(indices),
            share=t / total if total else 0.)
        for name, t in zip(names, totals)
    ]


def time_loader(cfg, workers, pin_memory, batches):
    """Images per second of the train dataloader with these settings."""
    from mmengine.runner import Runner
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.update(
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=pin_memory)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    it = iter(loader)
    start = time.perf_counter()
    next(it)
    first = time.perf_counter() - start
    images = 0
    start = time.perf_counter()
    for _ in range(batches):
        images += len(next(it)['data_samples'])
    seconds = time.perf_counter() - start
    del it, loader
    return dict(
        num_workers=workers,
        pin_memory=pin_memory,
        first_batch_s=first,
        img_per_s=images / seconds,
        ms_per_image=1000 * seconds / images)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_benchmark_config(args.config, args.cfg_options)
    dataset = build_train_dataset(cfg)
    indices = sample_indices(dataset, min(args.num_images, len(dataset)))
    report = dict(
        benchmark='data',
        config=args.config,
        device_name=device_name(torch.device('cpu')),
        num_images=len(indices),
        decode=time_decode(dataset, indices, args.backends),
        transforms=time_transforms(dataset, indices),
        loader=[
            time_loader(cfg, workers, pin == 'true', args.batches)
            for workers in args.workers for pin in args.pin_memory
        ])
    print(json.dumps(report, indent=1))
    return report


if __name__ == '__main__':
    main()
