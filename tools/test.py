# Evaluate a checkpoint on the test set of a config.
import argparse

import mmengine
from mmengine.dist import get_dist_info

from mmreid_instruct.utils.runner_cli import (build_runner, load_runner_config,
                                              parse_runner_args)

OUT_SUFFIXES = ('.json', '.yaml', '.yml', '.pkl', '.pickle')


def parse_args():
    parser = argparse.ArgumentParser(description='Test a ReID model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='file to write the output to (.json, .yaml or .pkl)')
    parser.add_argument(
        '--out-item',
        choices=['metrics'],
        default='metrics',
        help='what to write to --out: the metrics dict')
    parser.add_argument(
        '--allow-partial-load',
        action='store_true',
        help='evaluate even if the checkpoint does not match the model: '
        'load the matching weights only and log the others at WARNING '
        '(by default a mismatch is an error naming the keys)')
    return parse_runner_args(parser, 'the dir to save the evaluation logs')


def load_checkpoint_args(cfg, args):
    """Evaluate the checkpoint of the command line, without resuming; it
    must match the model unless ``--allow-partial-load`` is given."""
    cfg.load_from = args.checkpoint
    cfg.resume = False
    cfg.strict_load = not args.allow_partial_load


def main():
    args = parse_args()
    if args.out is not None and not args.out.endswith(OUT_SUFFIXES):
        raise ValueError(f'--out {args.out}: the file name must end with '
                         '.json, .yaml, .yml, .pkl or .pickle.')
    cfg = load_runner_config(args, load_checkpoint_args, ('test_dataloader', ))
    runner = build_runner(cfg)
    metrics = runner.test()

    if args.out is not None and get_dist_info()[0] == 0:
        mmengine.dump(metrics, args.out)
        runner.logger.info(f'Metrics written to {args.out}')


if __name__ == '__main__':
    main()
