# Evaluate a checkpoint on the test set of a config.
import argparse
import os
import os.path as osp

import mmengine
from mmengine.config import Config, DictAction
from mmengine.dist import get_dist_info
from mmengine.runner import Runner

from mmreid_instruct.datasets import check_data_exists
from mmreid_instruct.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Test a ReID model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation logs')
    parser.add_argument(
        '--out', help='file to write the output to (.json, .yaml or .pkl)')
    parser.add_argument(
        '--out-item',
        choices=['metrics'],
        default='metrics',
        help='what to write to --out: the metrics dict')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Apply the command-line arguments to the config."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main():
    args = parse_args()
    out_suffixes = ('.json', '.yaml', '.yml', '.pkl', '.pickle')
    if args.out is not None and not args.out.endswith(out_suffixes):
        raise ValueError(f'--out {args.out}: the file name must end with '
                         '.json, .yaml, .yml, .pkl or .pickle.')
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    # Stop before anything is built when the data are not there.
    try:
        check_data_exists(cfg, ('test_dataloader', ))
    except FileNotFoundError as error:
        raise SystemExit(f'{args.config}: {error}')

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        from mmreid_instruct.registry import RUNNERS
        runner = RUNNERS.build(cfg)
    metrics = runner.test()

    if args.out is not None and get_dist_info()[0] == 0:
        mmengine.dump(metrics, args.out)
        runner.logger.info(f'Metrics written to {args.out}')


if __name__ == '__main__':
    main()
