"""Safe loading and atomic writing of the library's checkpoints.

Why it is done this way: ``docs/en/advanced_guides/exact_resume.md``.
"""
import contextlib
import copyreg
import os
import os.path as osp
import pickle
import re
import zipfile

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader


def _numpy_globals() -> list:
    """NumPy objects that pickled arrays and scalars refer to."""
    # The functions NumPy's own pickling names, wherever NumPy keeps them.
    reconstruct_array = np.zeros(0).__reduce__()[0]
    reconstruct_scalar = np.float64(0).__reduce__()[0]
    dtype_classes = [
        type(np.dtype(t)) for t in ('float64', 'float32', 'float16', 'int64',
                                    'int32', 'int8', 'uint8', 'bool')
    ]
    return [reconstruct_array, reconstruct_scalar, np.ndarray, np.dtype
            ] + dtype_classes


#: The only non-tensor classes our checkpoints contain.
CHECKPOINT_SAFE_GLOBALS = [HistoryBuffer] + _numpy_globals()


def _reduce_history_buffer(buffer: HistoryBuffer):
    logs, counts = buffer.data
    return HistoryBuffer, (logs.tolist(), counts.tolist(), buffer.max_length)


def register_checkpoint_safe_globals() -> None:
    """Allow-list :data:`CHECKPOINT_SAFE_GLOBALS` for ``torch.load`` and
    make ``HistoryBuffer`` pickle from its constructor arguments.

    Example:
        >>> import io, torch
        >>> from mmengine.logging import HistoryBuffer
        >>> register_checkpoint_safe_globals()
        >>> file = io.BytesIO()
        >>> torch.save({'loss': HistoryBuffer([1.0, 2.0], [1, 1])}, file)
        >>> _ = file.seek(0)
        >>> float(torch.load(file, weights_only=True)['loss'].mean())
        1.5
    """
    if not hasattr(torch.serialization, 'add_safe_globals'):
        raise RuntimeError(
            f'torch {torch.__version__} cannot load checkpoints safely: '
            'mmreid_instruct needs torch>=2.4 (torch.serialization.'
            'add_safe_globals, the allow-list of weights_only loading).')
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    torch.serialization.add_safe_globals(CHECKPOINT_SAFE_GLOBALS)


class CheckpointLoadError(RuntimeError):
    """A checkpoint file could not be read."""


class CheckpointMismatchError(CheckpointLoadError):
    """The weights of a checkpoint do not fit the model they are loaded
    into."""


def load_checkpoint_file(filename: str, map_location='cpu') -> dict:
    """Load a checkpoint safely, with a clear error for a bad file.

    Args:
        filename (str): Local path or any URL/prefix mmengine understands.
        map_location (str | callable): Same as :func:`torch.load`.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: The file does not exist.
        CheckpointLoadError: The file is truncated, not a checkpoint, or
            holds objects that are not allow-listed.

    Example:
        >>> import os.path as osp, tempfile, torch
        >>> path = osp.join(tempfile.mkdtemp(), 'iter_1.pth')
        >>> torch.save({'state_dict': {'w': torch.ones(1)}}, path)
        >>> load_checkpoint_file(path)['state_dict']['w']
        tensor([1.])
    """
    register_checkpoint_safe_globals()
    try:
        return _read_checkpoint(filename, map_location)
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as e:
        disallowed = re.search(r'GLOBAL (\S+)', str(e))
        if disallowed is not None:
            raise CheckpointLoadError(
                f'Refusing to load checkpoint {filename}: it holds '
                f'{disallowed.group(1)}, which is not on the allow-list of '
                'safe classes (only tensors, built-in types and '
                'mmreid_instruct.engine.CHECKPOINT_SAFE_GLOBALS are loaded; '
                'anything else could run code when loaded).') from None
        raise _not_a_checkpoint(filename, e) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError,
            OSError) as e:
        raise _not_a_checkpoint(filename, e) from None


@contextlib.contextmanager
def weights_only_loading():
    """Make every ``torch.load`` within load with ``weights_only=True``,
    also those of mmengine's loaders that do not pass ``weights_only`` (e.g.
    pretrained weights of an ``init_cfg``), and whatever
    ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` says.

    Example:
        >>> import os
        >>> with weights_only_loading():
        ...     os.environ['TORCH_FORCE_WEIGHTS_ONLY_LOAD']
        '1'
    """
    names = ('TORCH_FORCE_WEIGHTS_ONLY_LOAD',
             'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD')
    saved = {name: os.environ.get(name) for name in names}
    os.environ.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)
    os.environ['TORCH_FORCE_WEIGHTS_ONLY_LOAD'] = '1'
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _read_checkpoint(filename: str, map_location) -> dict:
    if _has_scheme(filename):
        with weights_only_loading():
            return CheckpointLoader.load_checkpoint(
                filename, map_location=map_location)
    path = osp.expanduser(filename)
    if not osp.isfile(path):
        raise FileNotFoundError(f'Checkpoint {filename} does not exist.')
    return torch.load(path, map_location=map_location, weights_only=True)


def _torch_reason(error: Exception) -> str:
    """The reason in an error of ``torch.load``, without torch's advice to
    load with ``weights_only=False`` (which could run code)."""
    message = str(error)
    if 'WeightsUnpickler error:' in message:
        message = message.split('WeightsUnpickler error:', 1)[1]
    message = message.split('Check the documentation of torch.load')[0]
    for advice in ('Weights only load failed.',
                   getattr(torch.serialization, 'UNSAFE_MESSAGE', ''),
                   'Please file an issue with the following so that we can '
                   'make `weights_only=True` compatible with your use case: '
                   'WeightsUnpickler error:'):
        if advice:
            message = message.replace(advice, '')
    return ' '.join(message.split()).strip()


def _not_a_checkpoint(filename: str, error: Exception) -> CheckpointLoadError:
    return CheckpointLoadError(
        f'Cannot read checkpoint {filename}: the file is truncated or is not '
        f'a PyTorch checkpoint ({type(error).__name__}: '
        f'{_torch_reason(error)}).')


def atomic_replace(tmp_path: str, path: str) -> None:
    """Move a fully written ``tmp_path`` onto ``path`` atomically.

    Args:
        tmp_path (str): The finished temporary file.
        path (str): The destination; readers see either the old or the new
            file, never a partial one.

    Example:
        >>> import os, os.path as osp, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with open(osp.join(folder, '.a.tmp'), 'w') as f:
        ...     _ = f.write('new')
        >>> atomic_replace(osp.join(folder, '.a.tmp'), osp.join(folder, 'a'))
        >>> os.listdir(folder)
        ['a']
    """
    with open(tmp_path, 'rb') as f:
        os.fsync(f.fileno())
    os.replace(tmp_path, path)


def is_local_path(path: str) -> bool:
    """Whether ``path`` is a plain local path in an existing folder.

    Args:
        path (str): A path or URL.

    Returns:
        bool: False for a URL or an mmengine prefix (``s3://``, ...) and
        for a path whose folder does not exist.

    Example:
        >>> is_local_path('s3://bucket/iter_1.pth')
        False
    """
    return not _has_scheme(path) and osp.isdir(osp.dirname(osp.abspath(path)))


def _has_scheme(path: str) -> bool:
    """Whether ``path`` is a URL or has one of mmengine's prefixes."""
    return '://' in path
