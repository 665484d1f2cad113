"""Build a model from a config and load its weights."""
import copy
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.utils import import_modules_from_strings

from mmreid_instruct.engine.runner import (CheckpointMismatchError,
                                           load_checkpoint_file)
from mmreid_instruct.engine.runner.upstream import load_checkpoint_to_model
from mmreid_instruct.registry import MODELS
from mmreid_instruct.utils import register_all_modules


def _load_config(config: Union[str, Config, dict]) -> Config:
    if isinstance(config, str):
        return Config.fromfile(config)
    if isinstance(config, Config):
        return copy.deepcopy(config)
    if isinstance(config, dict):
        return Config(copy.deepcopy(config))
    raise TypeError('config must be a file path, a Config or a dict, '
                    f'not {type(config).__name__}')


def init_model(config: Union[str, Config, dict],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device, None] = None,
               strict: bool = True) -> nn.Module:
    """Build a model from a config and load a checkpoint into it, safely.

    The model is returned in eval mode with its config attached as
    ``model.cfg``. The checkpoint is read with ``weights_only=True``
    (:func:`load_checkpoint_file`), so a downloaded file cannot run code.

    Args:
        config (str | Config | dict): Config file or object; its
            ``custom_imports`` are imported first.
        checkpoint (str, optional): Local path or URL of the weights. None
            keeps the config's initialisation. Defaults to None.
        device (str | torch.device, optional): Where to put the model;
            None picks ``cuda`` when available, else ``cpu``.
        strict (bool): Refuse a checkpoint whose weights do not match the
            model exactly. Defaults to True.

    Returns:
        nn.Module: The model, in eval mode, with ``model.cfg``.

    Raises:
        CheckpointMismatchError: ``strict`` and the weights do not match;
            the message names the keys.

    Example:
        >>> model = init_model('configs/irm/irm_vit-tiny_synth-omnireid-tiny.py')  # doctest: +SKIP
        >>> model.cfg.model.type  # doctest: +SKIP
        'InstructReID'
    """
    cfg = _load_config(config)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    register_all_modules(init_default_scope=True)
    model_cfg = copy.deepcopy(cfg.model)
    # Pretrained initialisation is pointless when weights are loaded next.
    if checkpoint is not None:
        model_cfg.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        state = load_checkpoint_file(checkpoint, map_location='cpu')
        try:
            load_checkpoint_to_model(
                model, state, strict, revise_keys=[(r'^module\.', '')])
        except RuntimeError as error:
            raise CheckpointMismatchError(
                f'Checkpoint {checkpoint} does not match the model built '
                f'from the config:\n{error}\nPass strict=False to load '
                'only the matching weights.') from None
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model.cfg = cfg
    return model.to(device).eval()
