"""Refuse to train from random weights when a config needs pretrained ones.

A config lists the files it initialises from in ``required_pretrained``::

    required_pretrained = [
        dict(path='pretrained/x_mmreid.pth',
             what='X ViT-B/16 (x.pth)',
             get='where to download x.pth',
             convert='python tools/model_converters/x_to_mmreid.py '
                     'pretrained/x.pth pretrained/x_mmreid.pth'),
    ]
    allow_random_init = False

:class:`~mmreid_instruct.engine.runner.ReIDRunner` checks them when
training starts (:func:`check_required_pretrained`).
"""
import os.path as osp
from typing import Callable, List, Sequence

import torch.nn as nn


class MissingPretrainedError(RuntimeError):
    """Pretrained weights a config needs are missing."""


def missing_pretrained(required: Sequence[dict]) -> List[dict]:
    """The entries of ``required_pretrained`` whose ``path`` is not a file.

    Example:
        >>> missing_pretrained([dict(path='/no/such/file.pth')])
        [{'path': '/no/such/file.pth'}]
    """
    for entry in required:
        if not isinstance(entry, dict) or 'path' not in entry:
            raise TypeError('required_pretrained must be a list of dicts '
                            f'with a "path", got {entry!r}')
    return [dict(e) for e in required if not osp.isfile(e['path'])]


def missing_pretrained_message(config_name: str,
                               missing: Sequence[dict]) -> str:
    """The error: each missing file, what it is, where to get it and how to
    convert it, and how to train from random weights anyway.

    Example:
        >>> msg = missing_pretrained_message('a.py', [dict(
        ...     path='p/x.pth', what='X', get='x.org', convert='cvt x')])
        >>> print(msg)  # doctest: +NORMALIZE_WHITESPACE
        a.py starts from pretrained weights, and these files are missing:
          - p/x.pth: X
            get it: x.org
            then: cvt x
        Training from random weights does not reproduce the paper; to do
        it anyway, add --cfg-options allow_random_init=True.
    """
    lines = [
        f'{config_name} starts from pretrained weights, and these files '
        'are missing:'
    ]
    for entry in missing:
        lines.append(
            f'  - {entry["path"]}: {entry.get("what", "")}'.rstrip(': '))
        if entry.get('get'):
            lines.append(f'    get it: {entry["get"]}')
        if entry.get('convert'):
            lines.append(f'    then: {entry["convert"]}')
    lines.append('Training from random weights does not reproduce the '
                 'paper; to do it anyway, add --cfg-options '
                 'allow_random_init=True.')
    return '\n'.join(lines)


def drop_pretrained_init(model: nn.Module, paths: Sequence[str]) -> List[str]:
    """Remove the ``Pretrained`` init configs that read one of ``paths``
    from the modules of ``model``, so that they start from random weights.

    Returns:
        list[str]: The names of the modules changed.

    Example:
        >>> from mmengine.model import BaseModule
        >>> m = nn.Sequential(BaseModule(init_cfg=dict(
        ...     type='Pretrained', checkpoint='x.pth', prefix='a.')))
        >>> drop_pretrained_init(m, ['x.pth']), m[0].init_cfg
        (['0'], None)
    """
    paths = {osp.normpath(p) for p in paths}

    def reads_missing(cfg):
        return (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'
                and osp.normpath(str(cfg.get('checkpoint'))) in paths)

    changed = []
    for name, module in model.named_modules():
        cfg = getattr(module, 'init_cfg', None)
        if isinstance(cfg, dict) and reads_missing(cfg):
            module.init_cfg = None
        elif isinstance(cfg, list) and any(map(reads_missing, cfg)):
            module.init_cfg = [c for c in cfg if not reads_missing(c)] or None
        else:
            continue
        changed.append(name)
    return changed


def check_required_pretrained(cfg, model: nn.Module,
                              weights_from_checkpoint: Callable[[], bool],
                              logger) -> None:
    """Check the ``required_pretrained`` files of a config before training.

    When some are missing: raise :class:`MissingPretrainedError` (with
    :func:`missing_pretrained_message`), unless ``allow_random_init=True``
    or the weights come from a checkpoint anyway (``load_from`` or a
    resumed run); then the modules that would read them start from random
    weights instead, with a warning.

    Args:
        cfg (Config | dict): The config.
        model (nn.Module): The built model (not wrapped).
        weights_from_checkpoint (callable): Returns whether a checkpoint
            will be loaded (asked only when files are missing).
        logger: Where the warning goes.
    """
    missing = missing_pretrained(cfg.get('required_pretrained') or [])
    if not missing:
        return
    name = getattr(cfg, 'filename', None) or 'The config'
    from_checkpoint = weights_from_checkpoint()
    if not (cfg.get('allow_random_init', False) or from_checkpoint):
        raise MissingPretrainedError(missing_pretrained_message(name, missing))
    changed = drop_pretrained_init(model, [e['path'] for e in missing])
    logger.warning(
        f'Pretrained weights missing ({", ".join(e["path"] for e in missing)})'
        f'; {", ".join(changed) or "no module"} start(s) from random '
        'weights' + ('' if from_checkpoint else ' (allow_random_init=True)') +
        '.')
