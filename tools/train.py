# Train a model from a config.
import argparse

from mmreid_instruct.utils.runner_cli import (build_runner, load_runner_config,
                                              parse_runner_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a ReID model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If a checkpoint path is given, resume from it; without a '
        'value, resume from the latest checkpoint in the work dir.')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic mixed precision training '
        '(MixedPrecisionOptimWrapper: float16 with dynamic loss scaling on '
        'a GPU unless the config gives a dtype, bfloat16 on CPU)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate with the total batch size')
    return parse_runner_args(parser, 'the dir to save logs and models')


def apply_train_args(cfg, args):
    """Apply the training options of the command line to the config."""
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper',
                                 'MixedPrecisionOptimWrapper'):
            raise ValueError(f'--amp is not supported with {optim_wrapper}.')
        if optim_wrapper == 'OptimWrapper':
            cfg.optim_wrapper.type = 'MixedPrecisionOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', dict(base_batch_size=128))
        cfg.auto_scale_lr.enable = True


def main():
    args = parse_args()
    cfg = load_runner_config(args, apply_train_args)
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
