"""Safe loading of the library's own checkpoints.

Since torch 2.6, ``torch.load`` unpickles only tensors and built-in types
unless a class is allow-listed. mmengine's checkpoints also hold a few of
its own objects (the training logs in the message hub) and NumPy values;
this module allow-lists exactly those, so that resuming and testing work
with ``weights_only=True`` and nothing else is ever unpickled.

A ``HistoryBuffer`` normally pickles references to its statistics methods,
which would need ``getattr`` on the allow-list (and that would let a file
reach any attribute of an allowed class). We pickle it instead from its
constructor arguments, plain lists of numbers.
"""
import copyreg
import os
import os.path as osp
import pickle
import zipfile

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint


def _numpy_globals() -> list:
    """NumPy objects that pickled arrays and scalars refer to."""
    from numpy._core.multiarray import _reconstruct, scalar
    dtype_classes = [
        type(np.dtype(t)) for t in ('float64', 'float32', 'float16', 'int64',
                                    'int32', 'int8', 'uint8', 'bool')
    ]
    return [_reconstruct, scalar, np.ndarray, np.dtype] + dtype_classes


#: The only non-tensor classes our checkpoints contain.
CHECKPOINT_SAFE_GLOBALS = [HistoryBuffer] + _numpy_globals()


def _reduce_history_buffer(buffer: HistoryBuffer):
    logs, counts = buffer.data
    return HistoryBuffer, (logs.tolist(), counts.tolist(), buffer.max_length)


def register_checkpoint_safe_globals() -> None:
    """Allow-list :data:`CHECKPOINT_SAFE_GLOBALS` for ``torch.load`` and
    make ``HistoryBuffer`` pickle from its constructor arguments."""
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    torch.serialization.add_safe_globals(CHECKPOINT_SAFE_GLOBALS)


class CheckpointLoadError(RuntimeError):
    """A checkpoint file could not be read."""


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
    """
    register_checkpoint_safe_globals()
    try:
        return _load_checkpoint(filename, map_location=map_location)
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as e:
        if 'Unsupported global' in str(e):
            raise CheckpointLoadError(
                f'Refusing to load checkpoint {filename}: it holds objects '
                'that are not on the allow-list of safe classes (only '
                'tensors, built-in types and mmreid_instruct.engine.'
                'CHECKPOINT_SAFE_GLOBALS are loaded). Details: '
                f'{e}') from None
        raise _not_a_checkpoint(filename, e) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError,
            OSError) as e:
        raise _not_a_checkpoint(filename, e) from None


def _not_a_checkpoint(filename: str, error: Exception) -> CheckpointLoadError:
    return CheckpointLoadError(
        f'Cannot read checkpoint {filename}: the file is truncated or is not '
        f'a PyTorch checkpoint ({type(error).__name__}: {error}).')


def atomic_replace(tmp_path: str, path: str) -> None:
    """Move a fully written ``tmp_path`` onto ``path`` atomically.

    Args:
        tmp_path (str): The finished temporary file.
        path (str): The destination; readers see either the old or the new
            file, never a partial one.
    """
    with open(tmp_path, 'rb') as f:
        os.fsync(f.fileno())
    os.replace(tmp_path, path)


def is_local_path(path: str) -> bool:
    """Whether ``path`` is a plain local path (no URL scheme)."""
    return '://' not in path and osp.isdir(osp.dirname(osp.abspath(path)))
