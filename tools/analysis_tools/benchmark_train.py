"""Training speed of a config's model against a plain ViT, in one run.

Prints one JSON document: images per second of a full training step
(data preprocessing, forward, losses, backward, optimizer step) of the
config's model and of a plain ViT (the config's backbone alone with a
linear ID classifier, same input size, same optimizer settings), their
ratio, FLOPs per image of each (forward and backward, counted over one
step of each training list) and their ratio, peak memory, device, dtype
and batch size. Optionally a second config (``--compare``, e.g. the
baseline) is timed in the same run.

The inputs are synthetic (no data files): batches of the config's
training lists in turn (round robin over ``head.num_classes`` keys and
t2i), each with its task's instruction (fixed texts and paraphrases,
descriptions, captions, instruction images). Models are warmed up, then
timed in interleaved rounds; the median round gives the figures.

Example:
    python tools/analysis_tools/benchmark_train.py \\
        configs/irm/irm_vit-tiny_synth-omnireid-tiny.py \\
        --compare configs/baseline/baseline_vit-tiny_synth-omnireid-tiny.py
"""
import argparse
import copy
import json

import torch
from mmengine.config import DictAction

from mmreid_instruct.utils import speed_benchmark as bench


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Training img/s of a config\'s model vs a plain ViT')
    parser.add_argument('config', help='the config file')
    parser.add_argument(
        '--compare', help='a second config timed in the same run')
    parser.add_argument(
        '--batch-size',
        type=int,
        help='images per step (default: the train dataloader\'s)')
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
        '--amp',
        choices=sorted(bench.AMP_DTYPES),
        help='mixed precision (MixedPrecisionOptimWrapper); default: the '
        'config\'s own optimizer wrapper')
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


def optim_wrapper_cfg(cfg, amp):
    """The config's optimizer wrapper, switched to mixed precision by
    ``amp``; returns it and the dtype the forward pass runs in."""
    optim = copy.deepcopy(cfg.optim_wrapper)
    if amp is not None:
        optim['type'] = 'MixedPrecisionOptimWrapper'
        optim['dtype'] = str(bench.AMP_DTYPES[amp])[6:]
        optim['loss_scale'] = ('dynamic' if amp == 'fp16' else dict(
            enabled=False))
    wrapper_type = optim.get('type', 'OptimWrapper')
    if wrapper_type in ('AmpOptimWrapper', 'MixedPrecisionOptimWrapper'):
        return optim, optim.get('dtype') or 'float16'
    return optim, 'float32'


def model_step(cfg, device, batch_size, amp):
    """A builder of the config's model whose step is ``train_step``."""
    from mmengine.optim import build_optim_wrapper

    def build():
        model = bench.build_config_model(cfg, device).train()
        optim, _ = optim_wrapper_cfg(cfg, amp)
        wrapper = build_optim_wrapper(model, optim)
        batches = iter(bench.SyntheticBatches(cfg.model, batch_size))
        return lambda: model.train_step(next(batches), wrapper)

    return build


def plain_vit_step(cfg, device, batch_size, amp):
    """A builder of the plain ViT of the config's backbone, trained with
    the config's optimizer settings on batches preprocessed like the
    model's."""
    from mmengine.optim import build_optim_wrapper

    from mmreid_instruct.registry import MODELS

    def build():
        model = bench.PlainViT(cfg.model.backbone).to(device).train()
        preprocessor = MODELS.build(
            cfg.model.get('data_preprocessor')
            or dict(type='ReIDDataPreprocessor')).to(device)
        optim, _ = optim_wrapper_cfg(cfg, amp)
        optim.pop('paramwise_cfg', None)  # keys of the full model
        wrapper = build_optim_wrapper(model, optim)
        batch = next(iter(bench.SyntheticBatches(cfg.model, batch_size)))
        labels = torch.arange(batch_size, device=device) % 1000

        def step():
            inputs = preprocessor(dict(inputs=list(batch['inputs'])),
                                  True)['inputs']
            with wrapper.optim_context(model):
                loss = model.loss(inputs, labels)['loss_cls']
            wrapper.update_params(loss)

        return step

    return build


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = bench.resolve_device(args.device)
    cfg = bench.load_benchmark_config(args.config, args.cfg_options)
    batch_size = args.batch_size or bench.default_batch_size(
        cfg.train_dataloader)
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
    _, dtype = optim_wrapper_cfg(cfg, args.amp)
    report = dict(
        benchmark='train',
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
