"""Build a model from a config or a model-zoo name and load its weights."""
import copy
import os
import os.path as osp
import urllib.parse
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.utils import import_modules_from_strings

from mmreid_instruct.engine.runner import (CheckpointMismatchError,
                                           load_checkpoint_file)
from mmreid_instruct.engine.runner.upstream import load_checkpoint_to_model
from mmreid_instruct.registry import MODELS
from mmreid_instruct.utils import register_all_modules
from mmreid_instruct.utils.download import download_checkpoint, is_download_url
from .model_hub import ModelHub
from .zoo_index import ZooIndex, zoo_mirror


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
        checkpoint (str, optional): Local path or URL of the weights. An
            ``http(s)://`` or ``file://`` URL is downloaded into the cache
            and checked against the hash in its file name
            (:func:`~mmreid_instruct.utils.download.download_checkpoint`).
            None keeps the config's initialisation. Defaults to None.
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
        >>> config = ModelHub.get('baseline_vit-tiny_synth-omnireid-tiny').config
        >>> model = init_model(config, device='cpu')
        >>> model.cfg.model.type, model.training
        ('ImageReID', False)
    """  # noqa: E501
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
        if is_download_url(checkpoint):
            checkpoint = download_checkpoint(checkpoint)
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


def list_models(pattern: Optional[str] = None) -> List[str]:
    """Names of the models in the model zoo (``model-index.yml``).

    Args:
        pattern (str, optional): An ``fnmatch`` pattern, matched
            case-insensitively against the start of the names. None lists
            every model.

    Returns:
        list[str]: Sorted model names, for :func:`get_model`.

    Example:
        >>> list_models('irm_*small')
        ['irm_vit-tiny_synth-omnireid-small']
        >>> list_models('BASELINE')
        ['baseline_vit-tiny_synth-omnireid-tiny']
    """
    return ModelHub.names(pattern)


def get_model(model: Union[str, Config, dict],
              pretrained: Union[bool, str, None] = False,
              device: Union[str, torch.device, None] = None,
              **kwargs) -> nn.Module:
    """Build a model of the zoo, or from a config, with its weights.

    Args:
        model (str | Config | dict): A model name (:func:`list_models`), a
            config file path, or a config.
        pretrained (bool | str | None): True loads the zoo's weights of a
            named model (:func:`zoo_checkpoint`; for a config, its
            ``load_from``); a local path or an ``http(s)://`` /
            ``file://`` URL loads that file (URLs are cached and checked
            against the hash in the file name); False or None loads none.
            Defaults to False.
        device (str | torch.device, optional): As in :func:`init_model`.
        **kwargs: Changes to ``cfg.model``, merged recursively (e.g.
            ``backbone=dict(arch=dict(num_layers=2))``).

    Returns:
        nn.Module: The model in eval mode, with its config as ``model.cfg``.

    Example:
        >>> model = get_model('baseline_vit-tiny_synth-omnireid-tiny',
        ...                   device='cpu')
        >>> model.cfg.model.type, model.training
        ('ImageReID', False)
        >>> model = get_model('irm_vit-tiny_synth-omnireid-tiny', pretrained=True)  # doctest: +SKIP
    """  # noqa: E501
    name = None
    if isinstance(model, (Config, dict)):
        cfg = _load_config(model)
    elif isinstance(model, str) and (model.endswith('.py')
                                     or osp.isfile(model)):
        cfg = Config.fromfile(model)
    elif isinstance(model, str):
        info = ModelHub.get(model)
        if not osp.isfile(info.config):
            raise FileNotFoundError(
                f'The config of model {info.name}, {info.config} (from '
                f'{info.metafile}), does not exist.')
        name, cfg = info.name, Config.fromfile(info.config)
    else:
        raise TypeError('model must be a model name, a config path or a '
                        f'Config, not {type(model).__name__}')
    checkpoint = _pretrained_checkpoint(pretrained, name, cfg)
    if kwargs:
        cfg.merge_from_dict(dict(model=kwargs))
    return init_model(cfg, checkpoint=checkpoint, device=device)


def zoo_checkpoint(name: str, check_cached: bool = False) -> str:
    """The local path of a zoo model's weights, downloaded if needed.

    Where the weights come from:

    - the metafile's ``Weights:`` URL; with ``MMREID_INSTRUCT_ZOO_MIRROR``
      set, the same file name under the mirror instead;
    - otherwise the mirror's ``zoo.json`` (:class:`ZooIndex`), which gives
      the file name and its full SHA-256.

    The download is cached and verified
    (:func:`~mmreid_instruct.utils.download.download_checkpoint`).

    Args:
        name (str): A model name from :func:`list_models`.
        check_cached (bool): Hash an already cached file again.

    Returns:
        str: Path of the checkpoint in the cache.

    Raises:
        ValueError: The model has no published weights here (the message
            says where it looked).

    Example:
        >>> import os
        >>> os.environ['MMREID_INSTRUCT_ZOO_MIRROR'] = 'http://127.0.0.1:8000'
        >>> path = zoo_checkpoint('irm_vit-tiny_synth-omnireid-tiny')  # doctest: +SKIP
        >>> del os.environ['MMREID_INSTRUCT_ZOO_MIRROR']
    """  # noqa: E501
    info = ModelHub.get(name)
    mirror = zoo_mirror()
    if info.weights:
        url = info.weights
        if mirror is not None:
            file_name = osp.basename(urllib.parse.urlparse(url).path)
            url = mirror + file_name
        return download_checkpoint(url, check_cached=check_cached)
    if mirror is None:
        raise ValueError(
            f'Model {info.name} has no published weights: {info.metafile} '
            'gives no Weights: URL for it. Set MMREID_INSTRUCT_ZOO_MIRROR '
            'to a zoo folder or URL that has them (see '
            'docs/en/user_guides/model_zoo.md), or pass '
            'pretrained=PATH_OR_URL.')
    index = _mirror_index(mirror)
    try:
        url, sha256 = index.weights_url(info.name, mirror)
    except KeyError as e:
        raise ValueError(
            f'Model {info.name} has no Weights: in {info.metafile}, and the '
            f'zoo mirror (MMREID_INSTRUCT_ZOO_MIRROR={mirror}) does not '
            f'have it: {e.args[0]}') from None
    return download_checkpoint(url, sha256=sha256, check_cached=check_cached)


#: Indexes of remote zoo mirrors, read once per process.
_REMOTE_INDEXES = {}


def _mirror_index(mirror: str) -> ZooIndex:
    if mirror.startswith('file:'):
        return ZooIndex.read(mirror)
    if mirror not in _REMOTE_INDEXES:
        _REMOTE_INDEXES[mirror] = ZooIndex.read(mirror)
    return _REMOTE_INDEXES[mirror]


def _pretrained_checkpoint(pretrained, name: Optional[str],
                           cfg: Config) -> Optional[str]:
    if pretrained is None or pretrained is False:
        return None
    if pretrained is True:
        if name is not None:
            return zoo_checkpoint(name)
        if cfg.get('load_from'):
            return cfg.load_from
        raise ValueError(
            'pretrained=True needs a model name from list_models(), or a '
            'config with load_from; for this config pass '
            'pretrained=PATH_OR_URL.')
    if isinstance(pretrained, (str, os.PathLike)):
        return str(pretrained)
    raise TypeError('pretrained must be a bool, a path or a URL, not '
                    f'{type(pretrained).__name__}')
