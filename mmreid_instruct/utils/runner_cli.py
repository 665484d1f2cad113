"""What ``tools/train.py`` and ``tools/test.py`` share: the command-line
options of every runner tool, and a config ready for the runner."""
import argparse
import difflib
import inspect
import os
import os.path as osp
import sys
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmreid_instruct.registry import RUNNERS
from .missing_data import DATALOADERS, check_data_exists
from .setup_env import register_all_modules

#: Top-level keys that ``Runner`` reads even when a config does not set
#: them (e.g. ``load_from``, ``randomness``); ``--cfg-options`` may set
#: them, and the keys below them, without a ``+``.
RUNNER_KEYS = frozenset(inspect.signature(
    Runner.__init__).parameters) - {'self', 'cfg'}


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` whose errors name the ``key=value`` pair
    that does not parse (a usage error, exit code 2)."""

    def __call__(self, parser, namespace, values, option_string=None):
        for kv in values:
            if '=' not in kv:
                parser.error(f'{option_string} {kv}: expected key=value, '
                             'e.g. train_cfg.max_iters=100.')
            try:
                super().__call__(parser, namespace, [kv], option_string)
            except (AssertionError, ValueError) as error:
                parser.error(f'{option_string} {kv}: the value of '
                             f'{kv.split("=", 1)[0]} does not parse '
                             f'({error}); quote values with spaces and '
                             'balance their brackets, e.g. a="[(1,2),(3,4)]".')


def _config_paths(node, prefix: str = '') -> Iterator[str]:
    """Every dotted key path of a config (list items by index)."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        path = f'{prefix}{key}'
        yield path
        yield from _config_paths(value, f'{path}.')


def _runner_keys(cfg) -> frozenset:
    """:data:`RUNNER_KEYS` and the arguments of ``cfg.runner_type``."""
    runner = cfg.get('runner_type')
    runner = RUNNERS.get(runner) if isinstance(runner, str) else runner
    if not isinstance(runner, type):
        return RUNNER_KEYS
    names = set(inspect.signature(runner.__init__).parameters)
    return RUNNER_KEYS | (names - {'self', 'cfg', 'args', 'kwargs'})


def _has_key(cfg, key: str, runner_keys: frozenset) -> bool:
    """Whether the dotted ``key`` exists in ``cfg`` or is a key the runner
    reads that the config does not set."""
    parts = key.split('.')
    if parts[0] in runner_keys and cfg.get(parts[0]) is None:
        return True
    node = cfg
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() \
                and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def check_cfg_options(cfg, options: dict) -> dict:
    """Check that every key of ``--cfg-options`` exists in the config.

    A key marked new with a leading ``+`` (``+my_key.sub=1``) may be
    absent; so may the keys ``Runner`` reads that the config does not set
    (:data:`RUNNER_KEYS`, e.g. ``load_from``, and the arguments of the
    runner named by ``runner_type``).

    Args:
        cfg (Config | dict): The config the options will be merged into.
        options (dict): The parsed ``--cfg-options``.

    Returns:
        dict: The options with the ``+`` marks removed, ready for
        ``Config.merge_from_dict``.

    Raises:
        KeyError: A key is not in the config; the message names it and the
            closest key of the config.

    Example:
        >>> cfg = dict(train_cfg=dict(max_iters=10))
        >>> check_cfg_options(cfg, {'train_cfg.max_iters': 2, '+new': 1})
        {'train_cfg.max_iters': 2, 'new': 1}
        >>> check_cfg_options(cfg, {'trian_cfg.max_iters': 2})
        Traceback (most recent call last):
        ...
        KeyError: "--cfg-options trian_cfg.max_iters: the config has no such key; did you mean 'train_cfg.max_iters'? Write +trian_cfg.max_iters=... to add it as a new key."
    """  # noqa: E501
    if isinstance(cfg, Config):
        cfg = cfg.to_dict()
    runner_keys = _runner_keys(cfg)
    checked = {}
    for key, value in options.items():
        if key.startswith('+'):
            checked[key[1:]] = value
            continue
        if not _has_key(cfg, key, runner_keys):
            close = difflib.get_close_matches(
                key, list(_config_paths(cfg)), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ''
            raise KeyError(f'--cfg-options {key}: the config has no such '
                           f'key; {hint}Write +{key}=... to add it as a new '
                           'key.')
        checked[key] = value
    return checked


def _untyped_datasets(cfg, where: str) -> Iterator[Tuple[str, dict]]:
    """``(place, config)`` of each dataset config under ``cfg`` that has
    no ``type``; the sub-configs of a ``datasets`` list get the wrapper's
    ``defaults`` first, as :class:`ReIDConcatDataset` does."""
    if not isinstance(cfg, dict):
        return
    if 'type' not in cfg:
        yield where, cfg
    if isinstance(cfg.get('dataset'), dict):
        yield from _untyped_datasets(cfg['dataset'], f'{where}.dataset')
    if isinstance(cfg.get('datasets'), (list, tuple)):
        defaults = cfg.get('defaults') or {}
        for i, sub in enumerate(cfg['datasets']):
            if isinstance(sub, dict):
                yield from _untyped_datasets({
                    **defaults,
                    **sub
                }, f'{where}.datasets[{i}]')


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
        action=CfgOptionsAction,
        help='override settings of the config, key=value pairs such as '
        'train_cfg.max_iters=100; a list is written a=[1,2] and quotes are '
        'needed around lists with spaces: key="[(a,b),(c,d)]". A key the '
        'config does not have is an error (a misspelling) unless marked new '
        'with a leading +, e.g. +custom_cfg.flag=True')
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

    In this order: register the modules of the library, put the current
    folder on ``sys.path`` (for the ``custom_imports`` of the config), read
    ``args.config``, set ``launcher`` and ``work_dir`` (``--work-dir``, else
    the config's own, else ``./work_dirs/<config name>``), call
    ``apply_tool_args``, check and merge ``--cfg-options`` (so they win),
    check that every dataset config has a ``type``, and stop, before
    anything is built, when data of ``dataloaders`` are missing.

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
        SystemExit: A key of ``--cfg-options`` is not in the config (see
            :func:`check_cfg_options`), a dataset config has no ``type``,
            or data are missing; the message names the config and the key,
            dataset or missing paths (see :func:`check_data_exists`).
    """
    register_all_modules()
    # custom_imports may name a package of the current folder, which is not
    # on sys.path when a tool runs as ``python tools/train.py``.
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
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
        try:
            options = check_cfg_options(cfg, args.cfg_options)
        except KeyError as error:
            raise SystemExit(f'{args.config}: {error.args[0]}')
        cfg.merge_from_dict(options)
    for key in DATALOADERS:
        loader = cfg.get(key)
        if isinstance(loader, dict):
            for where, dataset in _untyped_datasets(
                    loader.get('dataset'), f'{key}.dataset'):
                raise SystemExit(
                    f'{args.config}: {where} has no "type"; expected the '
                    'name of a registered dataset, e.g. '
                    f'type="OmniReIDList"; got {dict(dataset)}')
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
