"""What ``tools/train.py`` and ``tools/test.py`` share: the command-line
options of every runner tool, and a config ready for the runner."""
import argparse
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmreid_instruct.registry import RUNNERS
from .missing_data import DATALOADERS, check_data_exists
from .setup_env import register_all_modules


def parse_runner_args(parser: argparse.ArgumentParser,
                      work_dir_help: str,
                      argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Add the options every runner tool has to ``parser`` and parse the
    command line.

    The options are ``--work-dir``, ``--cfg-options``, ``--launcher`` and
    ``--local-rank`` (also spelled ``--local_rank``, as
    ``torch.distributed.launch`` passes it); ``LOCAL_RANK`` is set from the
    latter unless the launcher already set it.

    Args:
        parser (argparse.ArgumentParser): The tool's parser, holding its
            own arguments (at least ``config``).
        work_dir_help (str): Help text of ``--work-dir``.
        argv (list[str], optional): The arguments; None reads
            ``sys.argv``. Defaults to None.

    Returns:
        argparse.Namespace: The parsed arguments.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> _ = parser.add_argument('config')
        >>> args = parse_runner_args(parser, 'where logs go',
        ...                          ['a.py', '--cfg-options', 'seed=1'])
        >>> args.config, args.cfg_options, args.launcher, args.work_dir
        ('a.py', {'seed': 1}, 'none', None)
    """
    parser.add_argument('--work-dir', help=work_dir_help)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs such as '
        'train_cfg.max_iters=100; a list is written a=[1,2] and quotes are '
        'needed around lists with spaces: key="[(a,b),(c,d)]"')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_runner_config(args: argparse.Namespace,
                       apply_tool_args: Optional[Callable[
                           [Config, argparse.Namespace], None]] = None,
                       dataloaders: Sequence[str] = DATALOADERS) -> Config:
    """Read the config of a runner tool and apply its command line.

    In this order: register the modules of the library, read
    ``args.config``, set ``launcher`` and ``work_dir`` (``--work-dir``, else
    the config's own, else ``./work_dirs/<config name>``), call
    ``apply_tool_args``, merge ``--cfg-options`` (so they win), and stop,
    before anything is built, when data of ``dataloaders`` are missing.

    Args:
        args (argparse.Namespace): Arguments from
            :func:`parse_runner_args`.
        apply_tool_args (callable, optional): ``f(cfg, args)`` applying the
            tool's own options to the config. Defaults to None.
        dataloaders (Sequence[str]): The dataloaders whose data must exist.
            Defaults to the train, val and test dataloaders.

    Returns:
        Config: The config to build the runner from.

    Raises:
        SystemExit: Data are missing; the message names the config and
            lists the missing paths (see :func:`check_data_exists`).
    """
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if apply_tool_args is not None:
        apply_tool_args(cfg, args)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    try:
        check_data_exists(cfg, dataloaders)
    except FileNotFoundError as error:
        raise SystemExit(f'{args.config}: {error}')
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Build mmengine's ``Runner``, or the registered runner named by
    ``cfg.runner_type``.

    Args:
        cfg (Config): A full config.

    Returns:
        Runner: The runner.
    """
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)
