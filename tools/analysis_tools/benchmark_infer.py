"""Feature-extraction speed of a config's model against a plain ViT, in one
run.

Prints one JSON document: images per second of ``test_step`` (data
preprocessing and the retrieval feature of every image with its
instruction) of the config's model and of a plain ViT (the config's
backbone alone, same input size: its CLS token), their ratio, FLOPs per
image of each (counted over one step of each training list) and their
ratio, peak memory, device, dtype and batch size. Optionally a second
config (``--compare``) is timed in the same run. Inputs are synthetic, as in
``benchmark_train.py``; ``--amp`` runs the forward pass under autocast.

Example:
    python tools/analysis_tools/benchmark_infer.py \\
        configs/irm/irm_vit-tiny_synth-omnireid-tiny.py --batch-size 64
"""
import argparse
import json

import torch
from mmengine.config import DictAction

from mmreid_instruct.utils import speed_benchmark as bench


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Feature extraction img/s of a config\'s model vs a '
        'plain ViT')
    parser.add_argument('config', help='the config file')
    parser.add_argument(
        '--compare', help='a second config timed in the same run')
    parser.add_argument(
        '--batch-size',
        type=int,
        help='images per step (default: the test dataloader\'s)')
    parser.add_argument(
        '--iters',
        type=int,
        help='timed steps per round (default: two per training list)')
    parser.add_argument(
        '--warmup',
        type=int,
        help='untimed steps first, at least 1 (default: one per training '
        'list)')
    parser.add_argument(
        '--rounds', type=int, default=3, help='timed rounds (median)')
    parser.add_argument(
        '--amp', choices=sorted(bench.AMP_DTYPES), help='autocast dtype')
    parser.add_argument(
        '--device', help='cpu, cuda, cuda:1... (default: cuda if present)')
    parser.add_argument(
        '--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    parser.add_argument(
        '--compare-cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the --compare config, key=value')
    return parser.parse_args(argv)


def model_step(cfg, device, batch_size, amp):
    """A builder of the config's model whose step is ``test_step``."""

    def build():
        model = bench.build_config_model(cfg, device).eval()
        batches = iter(bench.SyntheticBatches(cfg.model, batch_size))

        def step():
            with torch.no_grad(), bench.autocast_context(device, amp):
                model.test_step(next(batches))

        return step

    return build


def plain_vit_step(cfg, device, batch_size, amp):
    """A builder of the plain ViT of the config's backbone (its CLS token
    is the feature) on batches preprocessed like the model's."""
    from mmreid_instruct.registry import MODELS

    def build():
        model = bench.PlainViT(cfg.model.backbone).to(device).eval()
        preprocessor = MODELS.build(
            cfg.model.get('data_preprocessor')
            or dict(type='ReIDDataPreprocessor')).to(device)
        batch = next(iter(bench.SyntheticBatches(cfg.model, batch_size)))

        def step():
            with torch.no_grad(), bench.autocast_context(device, amp):
                inputs = preprocessor(
                    dict(inputs=list(batch['inputs'])), False)['inputs']
                model.backbone(inputs)

        return step

    return build


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = bench.resolve_device(args.device)
    cfg = bench.load_benchmark_config(args.config, args.cfg_options)
    batch_size = args.batch_size or bench.default_batch_size(
        cfg.test_dataloader)
    lists = bench.SyntheticBatches(cfg.model, batch_size).tasks
    iters = args.iters or 2 * len(lists)
    warmup = max(1, len(lists) if args.warmup is None else args.warmup)
    builders = {
        'model': model_step(cfg, device, batch_size, args.amp),
        'plain_vit': plain_vit_step(cfg, device, batch_size, args.amp),
    }
    model_cfgs = dict(model=cfg.model)
    if args.compare:
        compare = bench.load_benchmark_config(args.compare,
                                              args.compare_cfg_options)
        builders['compare'] = model_step(compare, device, batch_size, args.amp)
        model_cfgs['compare'] = compare.model
    # FLOPs are counted over one step of each training list.
    results = bench.run_benchmark(builders, device, batch_size, iters, warmup,
                                  args.rounds, len(lists))
    bench.add_flops_by_task(results, model_cfgs, warmup)
    dtype = 'float32' if args.amp is None else str(
        bench.AMP_DTYPES[args.amp])[6:]
    report = dict(
        benchmark='infer',
        config=args.config,
        compare_config=args.compare,
        **bench.environment(device, dtype),
        batch_size=batch_size,
        iters=iters,
        warmup=warmup,
        rounds=args.rounds,
        tasks=lists,
        **results)
    report.update(bench.ratios(results))
    print(json.dumps(report, indent=1))
    return report


if __name__ == '__main__':
    main()
