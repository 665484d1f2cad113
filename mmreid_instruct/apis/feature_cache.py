"""An on-disk cache of gallery features, keyed by everything they depend on.
"""
import hashlib
import json
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.logging import print_log

#: Version of the cache file layout; part of every key.
CACHE_FORMAT = 1


def default_cache_dir() -> str:
    """Where gallery features are cached when no folder is given.

    ``$MMREID_INSTRUCT_CACHE`` if set, else
    ``$XDG_CACHE_HOME/mmreid_instruct/gallery_features`` (``XDG_CACHE_HOME``
    defaults to ``~/.cache``).

    Returns:
        str: The folder (not created here).

    Example:
        >>> os.environ['MMREID_INSTRUCT_CACHE'] = '/tmp/feats'
        >>> default_cache_dir()
        '/tmp/feats'
        >>> del os.environ['MMREID_INSTRUCT_CACHE']
    """
    if os.environ.get('MMREID_INSTRUCT_CACHE'):
        return os.environ['MMREID_INSTRUCT_CACHE']
    root = os.environ.get('XDG_CACHE_HOME') or osp.join(
        osp.expanduser('~'), '.cache')
    return osp.join(root, 'mmreid_instruct', 'gallery_features')


@contextmanager
def atomic_open(path: str, mode: str = 'wb'):
    """Open a temporary file next to ``path`` and move it onto ``path``
    only when the block ends without error, so that readers never see a
    partly written file.

    Args:
        path (str): The file to write.
        mode (str): ``'wb'`` or ``'w'``. Defaults to ``'wb'``.

    Example:
        >>> path = osp.join(tempfile.mkdtemp(), 'a.txt')
        >>> with atomic_open(path, 'w') as f:
        ...     _ = f.write('done')
        >>> open(path).read()
        'done'
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    try:
        # mkstemp makes the file private; give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def file_signature(path: str) -> List:
    """``[absolute path, mtime in ns, size in bytes]`` of a file: a changed
    (or replaced) file gets another signature.

    Args:
        path (str): An existing file.

    Returns:
        list: The signature.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f'Image not found: {path}') from None
    return [osp.abspath(path), st.st_mtime_ns, st.st_size]


def weights_hash(model: nn.Module) -> str:
    """SHA-256 of a model's weights and buffers (names, dtypes, shapes and
    values), whatever checkpoint or device they come from.

    Args:
        model (nn.Module): The model.

    Returns:
        str: 64 hex digits.

    Example:
        >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
        >>> _ = b.load_state_dict(a.state_dict())
        >>> weights_hash(a) == weights_hash(b)
        True
        >>> _ = b.bias.data.add_(1)
        >>> weights_hash(a) == weights_hash(b)
        False
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f'{name}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def hash_parts(parts: dict, items: Iterable = ()) -> str:
    """SHA-256 of a JSON-able dict and of a sequence of JSON-able items.

    Args:
        parts (dict): Settings; keys are sorted, values that JSON cannot
            encode are hashed by their ``repr``.
        items (Iterable): One entry per gallery item, hashed in order.

    Returns:
        str: 64 hex digits.

    Example:
        >>> hash_parts(dict(task='trad'), [[1, 2]]) == \\
        ...     hash_parts(dict(task='trad'), [[1, 2]])
        True
        >>> hash_parts(dict(task='trad')) == hash_parts(dict(task='cc'))
        False
    """
    digest = hashlib.sha256()
    digest.update(
        json.dumps(parts, sort_keys=True, default=repr).encode() + b'\n')
    for item in items:
        digest.update(
            json.dumps(item, sort_keys=True, default=repr).encode() + b'\n')
    return digest.hexdigest()


class FeatureCache:
    """Gallery features stored on disk, one ``<key>.npz`` file per key.

    The key (see :func:`hash_parts`) must cover everything the features
    depend on: the model's weights (:func:`weights_hash`), its config and
    test pipeline, the task, the instruction of every item and the
    :func:`file_signature` of every file. A file whose content differs from
    the request (another path list, a broken file) is ignored and
    overwritten, never reused. Files are written atomically.

    Args:
        cache_dir (str, optional): The folder. Defaults to
            :func:`default_cache_dir`.

    Example:
        >>> cache = FeatureCache(tempfile.mkdtemp())
        >>> feats = np.eye(2, dtype=np.float32)
        >>> _ = cache.save('k1', feats, ['a.png', 'b.png'])
        >>> cache.load('k1', ['a.png', 'b.png']).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        >>> cache.load('k2', ['a.png', 'b.png']) is None
        True
    """

    def __init__(self, cache_dir: Optional[str] = None):
        self.cache_dir = cache_dir or default_cache_dir()

    def path(self, key: str) -> str:
        """The file of ``key``."""
        return osp.join(self.cache_dir, f'{key}.npz')

    def load(self, key: str, paths: Sequence[str]) -> Optional[np.ndarray]:
        """The cached features of ``key``, or None when there are none.

        Args:
            key (str): The cache key.
            paths (Sequence[str]): The gallery files, in order; a file
                cached for other paths is not used.

        Returns:
            np.ndarray | None: ``(len(paths), C)`` features.
        """
        file = self.path(key)
        if not osp.isfile(file):
            return None
        try:
            with np.load(file, allow_pickle=False) as data:
                stored_key = str(data['key'])
                stored_paths = data['paths'].tolist()
                feats = data['features']
        except Exception as error:  # a broken file is rebuilt, not reused
            print_log(
                f'Ignoring the unreadable feature cache {file} ({error}); '
                'it will be rebuilt.',
                logger='current',
                level=30)
            return None
        if stored_key != key or stored_paths != [str(p) for p in paths] \
                or len(feats) != len(paths):
            print_log(
                f'Ignoring the feature cache {file}: it was written for '
                'other files; it will be rebuilt.',
                logger='current',
                level=30)
            return None
        return feats

    def save(self, key: str, features: np.ndarray,
             paths: Sequence[str]) -> str:
        """Store the features of ``key`` atomically.

        Args:
            key (str): The cache key.
            features (np.ndarray): ``(N, C)`` features.
            paths (Sequence[str]): The N gallery files.

        Returns:
            str: The file written.
        """
        file = self.path(key)
        with atomic_open(file) as f:
            np.savez(
                f,
                key=np.array(key),
                paths=np.array([str(p) for p in paths], dtype=str),
                features=np.asarray(features))
        return file


def cache_parts(paths: Sequence[str],
                instructions: Sequence[Tuple[Optional[str], Optional[str]]]):
    """The per-item part of a cache key: each file's signature with its
    instruction text and the signature of its instruction image.

    Args:
        paths (Sequence[str]): Gallery images.
        instructions (Sequence[tuple]): ``(text, instruction image path)``
            per image, either may be None.

    Yields:
        list: One JSON-able entry per item.
    """
    for path, (text, img) in zip(paths, instructions):
        yield [
            file_signature(path), text,
            None if img is None else file_signature(img)
        ]
