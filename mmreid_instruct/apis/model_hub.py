"""The models of ``model-index.yml`` and the metafiles it imports."""
import copy
import difflib
import fnmatch
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import yaml

import mmreid_instruct


@dataclass
class ModelInfo:
    """What a metafile says about one model.

    Args:
        name (str): The model name (``Name:``).
        config (str): Absolute path of its config file.
        weights (str, optional): The ``Weights:`` URL, if the weights are
            hosted.
        collection (str, optional): ``In Collection:``.
        metadata (dict): ``Metadata:``, over the collection's.
        results (list[dict]): ``Results:`` (task, dataset, metrics).
        metafile (str): The metafile that lists the model.
    """
    name: str
    config: str
    weights: Optional[str] = None
    collection: Optional[str] = None
    metadata: dict = field(default_factory=dict)
    results: List[dict] = field(default_factory=list)
    metafile: str = ''


def find_model_index() -> str:
    """The ``model-index.yml`` of this installation.

    In a source checkout it is the one at the repository root (next to the
    package); in an installed package the copy in ``mmreid_instruct/.mim``
    that ``setup.py`` adds.

    Returns:
        str: Absolute path of ``model-index.yml``.

    Raises:
        FileNotFoundError: Neither exists.

    Example:
        >>> osp.basename(find_model_index())
        'model-index.yml'
    """
    package = osp.dirname(osp.abspath(mmreid_instruct.__file__))
    root = osp.dirname(package)
    candidates = []
    if osp.isfile(osp.join(root, 'setup.py')):
        candidates.append(osp.join(root, 'model-index.yml'))
    candidates.append(osp.join(package, '.mim', 'model-index.yml'))
    for path in candidates:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        'Cannot find the model index: looked for ' + ' and '.join(candidates) +
        '. Reinstall mmreid_instruct (pip install . or pip install -e .) '
        'so that setup.py adds mmreid_instruct/.mim.')


class ModelHub:
    """The names, configs, metadata and weights of the models in the zoo.

    The hub reads this package's ``model-index.yml`` (see
    :func:`find_model_index`) on first use; a downstream project can
    register its own index with :meth:`register_model_index`. Names are
    matched case-insensitively.

    Example:
        >>> info = ModelHub.get('IRM_vit-tiny_synth-omnireid-tiny')
        >>> info.name, osp.basename(info.config), info.weights
        ('irm_vit-tiny_synth-omnireid-tiny', 'irm_vit-tiny_synth-omnireid-tiny.py', None)
    """  # noqa: E501

    _models: Dict[str, ModelInfo] = {}
    _own_index_registered = False

    @classmethod
    def register_model_index(cls,
                             model_index: str,
                             config_prefix: Optional[str] = None) -> List[str]:
        """Register every model of a model index and its imports.

        Args:
            model_index (str): A ``model-index.yml`` or metafile.
            config_prefix (str, optional): The folder that ``Config:`` paths
                are relative to. Defaults to the folder of ``model_index``,
                which ``Import:`` paths are relative to.

        Returns:
            list[str]: The names registered.

        Raises:
            ValueError: A model has no name or config, or its name is
                registered already (the message names both metafiles).
        """
        model_index = osp.abspath(model_index)
        prefix = osp.abspath(config_prefix or osp.dirname(model_index))
        found = []
        cls._read(model_index, osp.dirname(model_index), prefix, found, set())
        for info in found:
            key = info.name.lower()
            known = cls._models.get(key)
            if known is not None:
                raise ValueError(
                    f'Model {info.name!r} of {info.metafile} is also listed '
                    f'in {known.metafile}; model names must be unique.')
            cls._models[key] = info
        return [info.name for info in found]

    @classmethod
    def get(cls, name: str) -> ModelInfo:
        """What the zoo knows about a model.

        Args:
            name (str): The model name (any case).

        Returns:
            ModelInfo: A copy of its information.

        Raises:
            ValueError: No model has that name.
        """
        cls._register_own_models()
        info = cls._models.get(name.lower())
        if info is None:
            close = difflib.get_close_matches(name.lower(), cls._models)
            hint = f' Similar names: {close}.' if close else ''
            raise ValueError(f'No model named {name!r} in the model zoo; '
                             'list_models() gives every name.' + hint)
        return copy.deepcopy(info)

    @classmethod
    def has(cls, name: str) -> bool:
        """Whether a model name is in the hub.

        Args:
            name (str): The model name (any case).

        Returns:
            bool: Whether it is registered.
        """
        cls._register_own_models()
        return name.lower() in cls._models

    @classmethod
    def names(cls, pattern: Optional[str] = None) -> List[str]:
        """Sorted model names, optionally filtered.

        Args:
            pattern (str, optional): An ``fnmatch`` pattern, matched
                case-insensitively against the start of the names (as if it
                ended with ``*``).

        Returns:
            list[str]: The matching names.
        """
        cls._register_own_models()
        names = [info.name for info in cls._models.values()]
        if pattern is not None:
            pattern = pattern.lower() + '*'
            names = [
                n for n in names if fnmatch.fnmatchcase(n.lower(), pattern)
            ]
        return sorted(names)

    @classmethod
    def _register_own_models(cls) -> None:
        if not cls._own_index_registered:
            cls.register_model_index(find_model_index())
            cls._own_index_registered = True

    @classmethod
    def _read(cls, path: str, root: str, prefix: str, found: list,
              seen: set) -> None:
        if path in seen:
            return
        seen.add(path)
        if not osp.isfile(path):
            raise FileNotFoundError(f'Model index file {path} does not exist.')
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f) or {}
        if not isinstance(data, dict):
            raise ValueError(f'{path}: expected a mapping with Import, '
                             'Collections or Models.')
        for imported in data.get('Import') or []:
            cls._read(osp.join(root, imported), root, prefix, found, seen)
        collections = {
            c['Name']: c
            for c in data.get('Collections') or [] if 'Name' in c
        }
        for i, model in enumerate(data.get('Models') or []):
            found.append(cls._model_info(model, i, collections, path, prefix))

    @staticmethod
    def _model_info(model: dict, position: int, collections: dict, path: str,
                    prefix: str) -> ModelInfo:
        for key in ('Name', 'Config'):
            if not model.get(key):
                raise ValueError(f'{path}: model #{position + 1} has no '
                                 f'{key}:.')
        collection = model.get('In Collection')
        metadata = dict((collections.get(collection) or {}).get('Metadata')
                        or {})
        metadata.update(model.get('Metadata') or {})
        config = model['Config']
        if not osp.isabs(config):
            config = osp.join(prefix, config)
        return ModelInfo(
            name=model['Name'],
            config=osp.normpath(config),
            weights=model.get('Weights') or None,
            collection=collection,
            metadata=metadata,
            results=list(model.get('Results') or []),
            metafile=path)
