"""Check, before anything is built, that the data a config reads exist."""
import os
import os.path as osp
from typing import Iterator, List, NamedTuple, Sequence, Tuple

from mmreid_instruct.registry import DATASETS

#: Config keys holding files of a dataset, relative to its ``data_root``.
FILE_KEYS = ('list_file', 'caption_file', 'ann_file')
#: The dataloaders of a full config.
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class MissingPath(NamedTuple):
    """A path a dataset of the config needs and that does not exist."""
    path: str
    where: str  # e.g. 'train_dataloader: OmniReIDList (task=trad)'
    hint: str


def _dataset_cfgs(cfg) -> Iterator[dict]:
    """Every leaf dataset config under ``cfg`` (wrappers are opened)."""
    # Imported here because mmreid_instruct.datasets imports this package.
    from mmreid_instruct.datasets.reid_concat_dataset import with_defaults
    if cfg is None:
        return
    if isinstance(cfg, (list, tuple)):
        for item in cfg:
            yield from _dataset_cfgs(item)
    elif 'datasets' in cfg:
        yield from _dataset_cfgs(
            with_defaults(cfg['datasets'], cfg.get('defaults')))
    elif 'dataset' in cfg:
        yield from _dataset_cfgs(cfg['dataset'])
    else:
        yield cfg


def _data_facts(cls) -> Tuple[bool, str]:
    """``GENERATES_DATA`` and ``DATA_HINT`` of a dataset class; a class
    that is not a :class:`BaseReIDDataset` gets the base class defaults."""
    # Imported here because mmreid_instruct.datasets imports this package.
    from mmreid_instruct.datasets.base_reid_dataset import BaseReIDDataset
    if not (isinstance(cls, type) and issubclass(cls, BaseReIDDataset)):
        cls = BaseReIDDataset
    return cls.GENERATES_DATA, cls.DATA_HINT


def _describe(dataset_cfg, cls) -> str:
    name = cls.__name__ if cls is not None else str(dataset_cfg.get('type'))
    details = ', '.join(f'{k}={dataset_cfg[k]}' for k in ('task', 'subset')
                        if dataset_cfg.get(k) is not None)
    return f'{name} ({details})' if details else name


def _needed_paths(dataset_cfg) -> List[str]:
    root = dataset_cfg.get('data_root')
    if root and not osp.isdir(root):
        return [root]  # the files below it are missing too: name it once
    paths = []
    for key in FILE_KEYS:
        value = dataset_cfg.get(key)
        if isinstance(value, str) and value:
            paths.append(
                value if osp.isabs(value) or not root else osp.
                join(root, value))
    return paths


def find_missing_data(cfg,
                      dataloaders: Sequence[str] = DATALOADERS
                      ) -> List[MissingPath]:
    """The data paths that the dataloaders of a config need but that do not
    exist: each dataset's ``data_root`` and its files (``list_file``,
    ``caption_file``, ``ann_file``, relative to ``data_root`` unless
    absolute).

    Datasets whose class makes its data on first use
    (``BaseReIDDataset.GENERATES_DATA``, e.g. SynthOmniReID) are skipped;
    each missing path comes with its class's ``BaseReIDDataset.DATA_HINT``.

    Args:
        cfg (Config | dict): A full config.
        dataloaders (Sequence[str]): The dataloader keys to check. Defaults
            to the train, val and test dataloaders.

    Returns:
        list[MissingPath]: Missing paths in config order, each once.

    Example:
        >>> cfg = dict(test_dataloader=dict(dataset=dict(
        ...     type='OmniReIDList', data_root='data/nowhere',
        ...     list_file='datalist/query.txt', task='trad')))
        >>> [m.path for m in find_missing_data(cfg)]
        ['data/nowhere']
    """
    missing, seen = [], set()
    for key in dataloaders:
        loader = cfg.get(key)
        if not loader:
            continue
        for dataset_cfg in _dataset_cfgs(loader.get('dataset')):
            cls = DATASETS.get(dataset_cfg.get('type'))
            generates_data, hint = _data_facts(cls)
            if generates_data:
                continue
            for path in _needed_paths(dataset_cfg):
                if path not in seen and not osp.exists(path):
                    seen.add(path)
                    missing.append(
                        MissingPath(path,
                                    f'{key}: {_describe(dataset_cfg, cls)}',
                                    hint))
    return missing


def check_data_exists(cfg, dataloaders: Sequence[str] = DATALOADERS) -> None:
    """Raise a ``FileNotFoundError`` listing every missing data path of a
    config and saying where to get the data (see
    :func:`find_missing_data`); do nothing when all exist.

    Args:
        cfg (Config | dict): A full config.
        dataloaders (Sequence[str]): The dataloader keys to check. Defaults
            to the train, val and test dataloaders.

    Example:
        >>> check_data_exists(dict(train_dataloader=dict(dataset=dict(
        ...     type='Market1501', data_root='data/nowhere'))))
        Traceback (most recent call last):
        ...
        FileNotFoundError: The data this config reads are missing (1 paths):
        ...
    """
    missing = find_missing_data(cfg, dataloaders)
    if not missing:
        return
    lines = [
        f'The data this config reads are missing ({len(missing)} '
        'paths):'
    ]
    lines += [f'  {m.path}    <- {m.where}' for m in missing]
    if any(not osp.isabs(m.path) for m in missing):
        lines.append('(relative paths are taken from the current directory, '
                     f'{os.getcwd()})')
    hints = list(dict.fromkeys(m.hint for m in missing))
    lines += [''] + hints
    raise FileNotFoundError('\n'.join(lines))
