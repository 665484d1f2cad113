"""Verified, cached checkpoint downloads (the model zoo's transport).

A checkpoint is downloaded once into :func:`checkpoint_cache_dir` under its
own file name, like ``torch.hub`` does. Published file names end with the
first 8 hex digits of the file's SHA-256 (``<name>_<yyyymmdd>-<sha8>.pth``)
and the downloaded bytes are checked against them before the file appears
in the cache.
"""
import hashlib
import http.client
import os
import os.path as osp
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from typing import IO, Optional, Tuple

from mmengine.logging import print_log

#: Schemes that :func:`download_checkpoint` fetches into the cache.
DOWNLOAD_SCHEMES = ('http', 'https', 'file')

_HASH_IN_NAME = re.compile(r'-([0-9a-f]{8,64})\.pth$')
_CHUNK = 1 << 20


class ChecksumError(RuntimeError):
    """Downloaded or cached bytes do not have the expected SHA-256."""


class DownloadError(OSError):
    """A file could not be fetched from its URL."""


def checkpoint_cache_dir() -> str:
    """The folder where downloaded checkpoints are kept.

    ``$MMREID_INSTRUCT_HOME/checkpoints`` when ``MMREID_INSTRUCT_HOME`` is
    set, else ``$XDG_CACHE_HOME/mmreid_instruct/checkpoints`` (that is
    ``~/.cache/mmreid_instruct/checkpoints`` by default).

    Returns:
        str: The folder (not created here).

    Example:
        >>> import os
        >>> os.environ['MMREID_INSTRUCT_HOME'] = '/data/mmreid'
        >>> checkpoint_cache_dir()
        '/data/mmreid/checkpoints'
        >>> del os.environ['MMREID_INSTRUCT_HOME']
    """
    home = os.environ.get('MMREID_INSTRUCT_HOME')
    if home:
        return osp.join(osp.expanduser(home), 'checkpoints')
    cache = os.environ.get('XDG_CACHE_HOME') or '~/.cache'
    return osp.join(osp.expanduser(cache), 'mmreid_instruct', 'checkpoints')


def hash_in_file_name(file_name: str) -> Optional[str]:
    """The SHA-256 prefix that a published file name carries.

    Args:
        file_name (str): A file name or URL ending with ``-<hex>.pth``.

    Returns:
        str | None: The hex digits (at least 8), or None when the name
        carries none.

    Example:
        >>> hash_in_file_name('irm_vit-tiny_20261130-1a2b3c4d.pth')
        '1a2b3c4d'
        >>> hash_in_file_name('latest.pth') is None
        True
    """
    match = _HASH_IN_NAME.search(osp.basename(file_name))
    return match.group(1) if match else None


def sha256_of_file(path: str) -> str:
    """The hex SHA-256 of a file, read in chunks.

    Args:
        path (str): The file.

    Returns:
        str: 64 lowercase hex digits.

    Example:
        >>> import os.path as osp, tempfile
        >>> path = osp.join(tempfile.mkdtemp(), 'empty')
        >>> open(path, 'wb').close()
        >>> sha256_of_file(path)[:16]
        'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def is_download_url(path: str) -> bool:
    """Whether :func:`download_checkpoint` handles ``path``.

    Args:
        path (str): A path or URL.

    Returns:
        bool: True for ``http://``, ``https://`` and ``file://`` URLs.

    Example:
        >>> is_download_url('https://example.org/a.pth')
        True
        >>> is_download_url('work_dirs/a.pth')
        False
    """
    return urllib.parse.urlparse(str(path)).scheme in DOWNLOAD_SCHEMES


def download_checkpoint(url: str,
                        cache_dir: Optional[str] = None,
                        sha256: Optional[str] = None,
                        check_cached: bool = False,
                        timeout: float = 60.) -> str:
    """Download a checkpoint into the cache, verified, or find it there.

    The expected hash is ``sha256`` when given, else the prefix in the file
    name (``..._<yyyymmdd>-<sha8>.pth``); a file name without one is
    downloaded unverified, with a warning. The bytes go to a temporary file
    in the cache folder, are checked, and only then renamed to their final
    name, so the cache never holds a partial or corrupted file. A file
    already in the cache is used without any request.

    Args:
        url (str): ``http(s)://`` or ``file://`` URL of the file.
        cache_dir (str, optional): Where to keep it; None means
            :func:`checkpoint_cache_dir`.
        sha256 (str, optional): The full expected SHA-256 (hex). Must agree
            with the prefix in the file name, if any.
        check_cached (bool): Hash a file found in the cache again and
            refuse it when it differs. Defaults to False.
        timeout (float): Seconds to wait for the server. Defaults to 60.

    Returns:
        str: Path of the checkpoint in the cache.

    Raises:
        ChecksumError: The bytes do not have the expected hash (the message
            names both hashes and the URL; nothing is cached).
        DownloadError: The URL cannot be read or the transfer is short.

    Example:
        >>> import os, os.path as osp, pathlib, tempfile, torch
        >>> folder = tempfile.mkdtemp()
        >>> src = osp.join(folder, 'w.pth')
        >>> torch.save({'w': torch.ones(1)}, src)
        >>> sha8 = sha256_of_file(src)[:8]
        >>> name = f'w_20260101-{sha8}.pth'
        >>> os.rename(src, osp.join(folder, name))
        >>> url = pathlib.Path(folder, name).as_uri()
        >>> cache = osp.join(folder, 'cache')
        >>> path = download_checkpoint(url, cache_dir=cache)
        >>> osp.basename(path) == name, os.listdir(cache) == [name]
        (True, True)
    """
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in DOWNLOAD_SCHEMES:
        raise ValueError(f'Cannot download {url!r}: expected an http://, '
                         'https:// or file:// URL.')
    file_name = osp.basename(urllib.parse.unquote(parsed.path))
    if not file_name:
        raise ValueError(f'Cannot download {url!r}: the URL names no file.')
    expected = _expected_hash(url, file_name, sha256)
    cache_dir = cache_dir or checkpoint_cache_dir()
    path = osp.join(cache_dir, file_name)
    if osp.isfile(path):
        if check_cached and expected is not None:
            _check_hash(
                sha256_of_file(path), expected,
                f'the cached file {path} (from {url}); delete it to '
                'download it again')
        return path
    os.makedirs(cache_dir, exist_ok=True)
    if expected is None:
        warnings.warn(
            f'{url}: the file name carries no SHA-256 '
            '(<name>_<yyyymmdd>-<sha8>.pth) and none was given, so the '
            'download is not verified.')
    print_log(f'Downloading {url} to {path}', logger='current')
    _fetch_verified(url, path, expected, timeout)
    return path


def _expected_hash(url: str, file_name: str,
                   sha256: Optional[str]) -> Optional[str]:
    in_name = hash_in_file_name(file_name)
    if sha256 is None:
        return in_name
    sha256 = sha256.lower()
    if not re.fullmatch(r'[0-9a-f]{64}', sha256):
        raise ValueError(f'sha256={sha256!r} for {url}: expected 64 hex '
                         'digits.')
    if in_name is not None and not sha256.startswith(in_name):
        raise ChecksumError(
            f'The file name of {url} carries hash {in_name}, but sha256 '
            f'{sha256} was given for it; one of the two is wrong.')
    return sha256


def _check_hash(actual: str, expected: str, what: str) -> None:
    if not actual.startswith(expected):
        raise ChecksumError(
            f'SHA-256 mismatch for {what}: expected {expected}, got '
            f'{actual}.')


def create_temp_file(folder: str, prefix: str,
                     suffix: str) -> Tuple[IO[bytes], str]:
    """Create and open a new temporary file in ``folder``.

    Unlike :func:`tempfile.mkstemp`, the file gets the permissions of any
    new file (the umask decides), since it is renamed to its final name
    once complete.

    Args:
        folder (str): The folder, which must exist.
        prefix (str): Start of the file name.
        suffix (str): End of the file name.

    Returns:
        tuple: The file, open for writing bytes, and its path.

    Example:
        >>> import os, tempfile
        >>> f, path = create_temp_file(tempfile.mkdtemp(), '.a.', '.tmp')
        >>> f.close(); os.path.basename(path).startswith('.a.')
        True
    """
    while True:
        path = osp.join(folder, f'{prefix}{uuid.uuid4().hex[:12]}{suffix}')
        try:
            return open(path, 'xb'), path
        except FileExistsError:
            continue


def _fetch_verified(url: str, path: str, expected: Optional[str],
                    timeout: float) -> None:
    out, tmp_path = create_temp_file(
        osp.dirname(path), f'.{osp.basename(path)}.', '.partial')
    try:
        with out:
            actual = _copy_url(url, out, timeout)
            out.flush()
            os.fsync(out.fileno())
        if expected is not None:
            _check_hash(actual, expected,
                        f'{url} (nothing was written to the cache)')
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def _copy_url(url: str, out, timeout: float) -> str:
    """Write the bytes of ``url`` to ``out``; return their SHA-256."""
    digest = hashlib.sha256()
    received = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get('Content-Length')
            for chunk in iter(lambda: response.read(_CHUNK), b''):
                digest.update(chunk)
                out.write(chunk)
                received += len(chunk)
    except urllib.error.HTTPError as e:
        raise DownloadError(
            f'Cannot download {url}: HTTP {e.code} {e.reason}.') from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
        reason = getattr(e, 'reason', None) or repr(e)
        raise DownloadError(f'Cannot download {url}: {reason}.') from None
    if length is not None and received != int(length):
        raise DownloadError(
            f'Cannot download {url}: received {received} of {length} bytes '
            '(the transfer was cut short).')
    return digest.hexdigest()
