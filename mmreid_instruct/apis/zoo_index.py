"""The index of a model zoo folder (``zoo.json``) and the zoo mirror."""
import datetime
import json
import os
import os.path as osp
import pathlib
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, List, Optional, Tuple

from mmreid_instruct.utils.download import (DownloadError, create_temp_file,
                                            hash_in_file_name)

#: The environment variable naming the zoo mirror.
MIRROR_ENV = 'MMREID_INSTRUCT_ZOO_MIRROR'


def zoo_mirror() -> Optional[str]:
    """The zoo mirror set by ``MMREID_INSTRUCT_ZOO_MIRROR``, as a base URL.

    Returns:
        str | None: The base URL ending with ``/`` (a local folder becomes
        a ``file://`` URL), or None when the variable is unset or empty.

    Example:
        >>> import os
        >>> os.environ['MMREID_INSTRUCT_ZOO_MIRROR'] = 'http://127.0.0.1:8000/zoo'
        >>> zoo_mirror()
        'http://127.0.0.1:8000/zoo/'
        >>> del os.environ['MMREID_INSTRUCT_ZOO_MIRROR']
        >>> zoo_mirror() is None
        True
    """  # noqa: E501
    value = os.environ.get(MIRROR_ENV, '').strip()
    return zoo_base_url(value, MIRROR_ENV) if value else None


def zoo_base_url(location: str, what: str = 'zoo location') -> str:
    """Normalise a zoo location (URL or folder) to a base URL.

    Args:
        location (str): ``http(s)://`` or ``file://`` URL, or a local
            folder.
        what (str): How to name ``location`` in an error message.

    Returns:
        str: The base URL, ending with ``/``.

    Example:
        >>> zoo_base_url('/srv/zoo')
        'file:///srv/zoo/'
    """
    scheme = urllib.parse.urlparse(location).scheme
    if scheme in ('http', 'https', 'file'):
        base = location
    elif '://' in location:
        raise ValueError(f'{what}={location!r}: expected an http://, '
                         'https:// or file:// URL, or a local folder.')
    else:
        base = pathlib.Path(osp.abspath(osp.expanduser(location))).as_uri()
    return base.rstrip('/') + '/'


class ZooIndex:
    """The index of a model zoo folder: model name -> published weights.

    A zoo folder (what ``MMREID_INSTRUCT_ZOO_MIRROR`` points at) holds the
    published checkpoints side by side and a ``zoo.json``::

        {"version": 1,
         "models": {"<name>": {"weights": "<name>_<yyyymmdd>-<sha8>.pth",
                               "sha256": "<64 hex digits>",
                               "size": <bytes>,
                               "config": "configs/.../<name>.py",
                               "published": "<yyyy-mm-dd>"}}}

    ``tools/model_converters/publish_model.py --zoo-dir`` writes it. The
    ``config`` field only documents which config the weights belong to:
    configs are never fetched from a zoo (a config is Python code).

    Args:
        models (dict, optional): Name -> entry, as in ``zoo.json``.
        source (str): Where the index was read from, for error messages.

    Example:
        >>> index = ZooIndex()
        >>> index.add('irm_tiny', 'irm_tiny_20260101-0123abcd.pth',
        ...           '0123abcd' + '0' * 56, size=10)
        >>> index.names()
        ['irm_tiny']
        >>> index.entry('irm_tiny')['weights']
        'irm_tiny_20260101-0123abcd.pth'
    """

    FILE_NAME = 'zoo.json'
    VERSION = 1

    def __init__(self,
                 models: Optional[Dict[str, dict]] = None,
                 source: str = '<memory>'):
        self.source = source
        self.models: Dict[str, dict] = {}
        for name, entry in (models or {}).items():
            self.models[name] = self._checked(name, entry)

    @classmethod
    def read(cls, location: str, timeout: float = 60.) -> 'ZooIndex':
        """Read the ``zoo.json`` of a zoo.

        Args:
            location (str): The zoo's base URL or folder (not the json).
            timeout (float): Seconds to wait for a server.

        Returns:
            ZooIndex: The index.

        Raises:
            FileNotFoundError: The zoo has no ``zoo.json``.
            ValueError: The file is not a valid index (the message names
                it and the entry).
        """
        url = zoo_base_url(location) + cls.FILE_NAME
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                text = response.read().decode('utf-8')
        except urllib.error.HTTPError as e:
            if e.code == 404:
                raise FileNotFoundError(
                    f'The zoo at {location} has no index: {url} answers '
                    'HTTP 404.') from None
            raise DownloadError(
                f'Cannot read {url}: HTTP {e.code} {e.reason}.') from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, FileNotFoundError):
                raise FileNotFoundError(
                    f'The zoo at {location} has no index: {url} does not '
                    'exist.') from None
            raise DownloadError(f'Cannot read {url}: {e.reason}.') from None
        return cls.from_json(text, url)

    @classmethod
    def from_json(cls, text: str, source: str) -> 'ZooIndex':
        """Parse the text of a ``zoo.json``.

        Args:
            text (str): The JSON text.
            source (str): Its file or URL, for error messages.

        Returns:
            ZooIndex: The index.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f'{source} is not valid JSON: {e}.') from None
        if not isinstance(data, dict) or not isinstance(
                data.get('models'), dict):
            raise ValueError(f'{source}: expected an object with "models": '
                             '{name: entry}.')
        if data.get('version', cls.VERSION) != cls.VERSION:
            raise ValueError(f'{source} has version {data["version"]}; this '
                             f'mmreid_instruct reads version {cls.VERSION}.')
        return cls(data['models'], source)

    @classmethod
    def open_folder(cls, folder: str) -> 'ZooIndex':
        """The index of a local zoo folder; empty if it has none yet.

        Args:
            folder (str): The zoo folder.

        Returns:
            ZooIndex: The index.
        """
        path = osp.join(folder, cls.FILE_NAME)
        if not osp.isfile(path):
            return cls(source=path)
        with open(path, encoding='utf-8') as f:
            return cls.from_json(f.read(), path)

    def names(self) -> List[str]:
        """Sorted model names in the index.

        Returns:
            list[str]: The names.
        """
        return sorted(self.models)

    def entry(self, name: str) -> dict:
        """The entry of a model.

        Args:
            name (str): The model name.

        Returns:
            dict: ``weights``, ``sha256``, ``size``, ``config``,
            ``published``.

        Raises:
            KeyError: The index has no such model (the message lists the
                names it has).
        """
        if name not in self.models:
            same = [n for n in self.models if n.lower() == name.lower()]
            if len(same) == 1:
                return dict(self.models[same[0]])
            raise KeyError(f'{self.source} lists no model {name!r}; it lists '
                           f'{self.names()}.')
        return dict(self.models[name])

    def weights_url(self, name: str, base_url: str) -> Tuple[str, str]:
        """The URL and SHA-256 of a model's weights in a zoo.

        Args:
            name (str): The model name.
            base_url (str): The zoo's base URL (see :func:`zoo_base_url`).

        Returns:
            tuple[str, str]: The URL and the full SHA-256.

        Example:
            >>> index = ZooIndex({'m': dict(weights='m_20260101-0123abcd.pth',
            ...                             sha256='0123abcd' + '0' * 56)})
            >>> index.weights_url('m', 'http://127.0.0.1:8000/zoo/')[0]
            'http://127.0.0.1:8000/zoo/m_20260101-0123abcd.pth'
        """
        entry = self.entry(name)
        return (base_url + urllib.parse.quote(entry['weights']),
                entry['sha256'])

    def add(self,
            name: str,
            weights: str,
            sha256: str,
            size: Optional[int] = None,
            config: Optional[str] = None,
            published: Optional[str] = None) -> None:
        """Add or replace the entry of a model.

        Args:
            name (str): The model name (as in ``list_models``).
            weights (str): The checkpoint's file name in the zoo folder.
            sha256 (str): Its full SHA-256.
            size (int, optional): Its size in bytes.
            config (str, optional): The config the weights belong to.
            published (str, optional): Date, ``yyyy-mm-dd``; today (UTC)
                when None.
        """
        published = published or datetime.datetime.now(
            datetime.timezone.utc).strftime('%Y-%m-%d')
        entry = dict(
            weights=weights,
            sha256=sha256,
            size=size,
            config=config,
            published=published)
        self.models[name] = self._checked(name, entry)

    def save(self, folder: str) -> str:
        """Write the index to ``folder/zoo.json`` atomically.

        Args:
            folder (str): The zoo folder.

        Returns:
            str: The path of the written file.
        """
        os.makedirs(folder, exist_ok=True)
        path = osp.join(folder, self.FILE_NAME)
        text = json.dumps(
            dict(version=self.VERSION, models=self.models),
            indent=2,
            sort_keys=True)
        f, tmp_path = create_temp_file(folder, '.zoo.', '.json.tmp')
        try:
            with f:
                f.write((text + '\n').encode('utf-8'))
            os.replace(tmp_path, path)
        except BaseException:
            if osp.exists(tmp_path):
                os.remove(tmp_path)
            raise
        return path

    def _checked(self, name: str, entry) -> dict:
        where = f'{self.source}, model {name!r}'
        if not isinstance(entry, dict):
            raise ValueError(f'{where}: expected an object, got {entry!r}.')
        weights = entry.get('weights')
        if not isinstance(weights, str) or not weights.endswith('.pth') \
                or '/' in weights or '\\' in weights:
            raise ValueError(f'{where}: "weights" must be the file name of '
                             f'a .pth file in the zoo folder, got '
                             f'{weights!r}.')
        sha256 = entry.get('sha256')
        if not isinstance(sha256, str) or not re.fullmatch(
                r'[0-9a-f]{64}', sha256):
            raise ValueError(f'{where}: "sha256" must be 64 lowercase hex '
                             f'digits, got {sha256!r}.')
        in_name = hash_in_file_name(weights)
        if in_name is not None and not sha256.startswith(in_name):
            raise ValueError(f'{where}: the file name {weights} carries hash '
                             f'{in_name}, but "sha256" is {sha256}.')
        return dict(entry)
