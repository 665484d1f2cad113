"""Helpers shared by the benchmark loaders: listing images, parsing file
names and list files, and locating the folder an archive unpacks to.

Every helper raises an error that names the offending file (and line) and
says what was expected, so that a broken download is easy to find.
"""
import codecs
import json
import os
import os.path as osp
import re
from typing import Iterator, List, Optional, Sequence, Tuple

#: File endings counted as images; other files (e.g. ``Thumbs.db``) are
#: ignored when a folder is listed.
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.pgm', '.tif',
                  '.tiff', '.webp')

#: Path components or file-name tokens that mark an infrared image.
IR_TOKENS = frozenset({'ir', 'nir', 'infrared', 'thermal'})

#: Instruction text of the tasks whose instruction is fixed. ``ctcc`` uses a
#: garment image and ``li``/``t2i`` a caption instead.
DEFAULT_INSTRUCTIONS = {
    'trad': 'do not change clothes',
    'cc': 'ignore clothes',
    'vi': 'retrieve the same person in the other modality',
}

#: The fixed instruction texts of the official Instruct-ReID code (its
#: ``preprocessor_sc.py`` and ``preprocessor_cross.py``), spelled as there.
#: Its ``cc`` instruction is the clothes image alone, so the ``cc`` text,
#: which an image-instructed model does not read, stays the default one.
OFFICIAL_INSTRUCTIONS = dict(
    DEFAULT_INSTRUCTIONS,
    trad='do not change clothes',
    vi='cross modiality',
)

#: Named sets of fixed instruction texts (``instruction_style`` of
#: :class:`~mmreid_instruct.datasets.OmniReIDList`).
INSTRUCTION_STYLES = {
    'default': DEFAULT_INSTRUCTIONS,
    'official': OFFICIAL_INSTRUCTIONS,
}

#: Camera id of records whose camera is unknown, per subset; query and
#: gallery differ so that no gallery item is ever a same-camera junk match.
MISSING_CAMID = {'train': -1, 'query': -1, 'gallery': -2}

#: The range of ids read from files: they are kept in int64 arrays.
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1

#: Outfits of one person are numbered below this; see :func:`outfit_id`.
OUTFITS_PER_PERSON = 1000


def is_image_file(path: str) -> bool:
    """Whether ``path`` has an image file ending (case-insensitive)."""
    return path.lower().endswith(IMG_EXTENSIONS)


def require_path(path: str, what: str, kind: str = 'file') -> str:
    """Return ``path`` if it exists as a ``kind``, else raise a
    ``FileNotFoundError`` naming it and saying what was expected.

    Args:
        path (str): The file or folder.
        what (str): What it should be or hold, for the message.
        kind (str): ``'file'`` or ``'folder'``. Defaults to ``'file'``.

    Returns:
        str: ``path``.
    """
    exists = osp.isdir if kind == 'folder' else osp.isfile
    if not exists(path):
        raise FileNotFoundError(f'Missing {kind} {path}: expected {what}.')
    return path


def list_images(folder: str, recursive: bool = False) -> List[str]:
    """List the image files of a folder in sorted path order.

    Args:
        folder (str): The folder; it must exist.
        recursive (bool): Also list the images of sub-folders. Defaults to
            False.

    Returns:
        list[str]: Full paths of the images, sorted.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> for name in ('b.jpg', 'a.PNG', 'Thumbs.db'):
        ...     open(os.path.join(folder, name), 'w').close()
        >>> [os.path.basename(path) for path in list_images(folder)]
        ['a.PNG', 'b.jpg']
    """
    require_path(folder, 'a folder of images', 'folder')
    if not recursive:
        names = [n for n in os.listdir(folder) if is_image_file(n)]
        return [osp.join(folder, n) for n in sorted(names)]
    paths = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        paths.extend(osp.join(root, n) for n in files if is_image_file(n))
    return sorted(paths)


def parse_name(pattern: 're.Pattern', path: str, expected: str) -> 're.Match':
    """Match the file name of ``path`` against ``pattern``.

    Args:
        pattern (re.Pattern): A compiled pattern with groups, matched
            against the whole base name.
        path (str): The image path.
        expected (str): An example of a valid name, for the message.

    Returns:
        re.Match: The match.

    Example:
        >>> pattern = re.compile(r'(?P<pid>[0-9]+)_c(?P<camera>[0-9]+)[.]jpg')
        >>> parse_name(pattern, 'query/0001_c3.jpg', '0001_c1.jpg')['camera']
        '3'
    """
    match = pattern.fullmatch(osp.basename(path))
    if match is None:
        raise ValueError(f'{path}: file name does not parse; expected a name '
                         f'like {expected}.')
    return match


def to_int(text: str, where: str, what: str) -> int:
    """Convert ``text`` to an int or raise an error naming ``where``.

    The number must fit in 64 bits (int64), as ids are kept in int64 arrays
    and tensors.

    Args:
        text (str): The text.
        where (str): File (and line) it comes from.
        what (str): What the number is, e.g. ``'pid'``.

    Returns:
        int: The number.

    Example:
        >>> to_int('12', 'list.txt:3', 'pid')
        12
    """
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f'{where}: {what} must be an integer, got '
                         f'{text!r}.') from None
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f'{where}: {what} {text} does not fit in a 64-bit '
                         f'integer; expected a number from {INT64_MIN} to '
                         f'{INT64_MAX}.')
    return value


def _decode_error(path: str, data: bytes,
                  error: UnicodeDecodeError) -> ValueError:
    """A ``ValueError`` naming the line of ``path`` that is not UTF-8."""
    lineno = data.count(b'\n', 0, error.start) + 1
    start = data.rfind(b'\n', 0, error.start) + 1
    end = data.find(b'\n', error.start)
    line = data[start:end if end >= 0 else len(data)]
    return ValueError(
        f'{path}:{lineno}: byte {data[error.start:error.start + 1]!r} is not '
        f'UTF-8 ({error.reason}) in {line.decode("utf-8", "replace")!r}; '
        'expected a UTF-8 text file (save it as UTF-8).')


def read_text(path: str) -> str:
    """Read a UTF-8 text file, without its byte-order mark if any.

    Args:
        path (str): The file; it must exist.

    Returns:
        str: Its text.

    Raises:
        ValueError: The file is not UTF-8; the message names the line.
    """
    with open(path, 'rb') as f:
        data = f.read()
    try:
        return data.decode('utf-8-sig')
    except UnicodeDecodeError as error:
        if data.startswith(codecs.BOM_UTF8):  # positions of the whole file
            error.start += len(codecs.BOM_UTF8)
        raise _decode_error(path, data, error) from None


def read_lines(path: str) -> Iterator[Tuple[int, str]]:
    """Yield ``(line number, stripped line)`` for each non-blank line.

    The file is read as UTF-8; a byte-order mark at its start is dropped.

    Args:
        path (str): A text file; it must exist.

    Yields:
        tuple[int, str]: 1-based line number and the line without
        surrounding white space.

    Raises:
        ValueError: The file is not UTF-8 (the message names the line) or
            has no non-blank line.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), 'ids.txt')
        >>> with open(path, 'w') as f:
        ...     _ = f.write('1 2\\n\\n3\\n')
        >>> list(read_lines(path))
        [(1, '1 2'), (3, '3')]
    """
    require_path(path, 'a list file')
    lines = [(lineno, line.strip())
             for lineno, line in enumerate(read_text(path).split('\n'), 1)
             if line.strip()]
    if not lines:
        raise ValueError(f'{path}: the file is empty (or holds only blank '
                         'lines); expected one entry per line.')
    yield from lines


def load_json(path: str, what: str):
    """Load a JSON file, naming it in any error.

    Args:
        path (str): The JSON file.
        what (str): What it should hold, for the message.

    Returns:
        The decoded JSON value.
    """
    require_path(path, what)
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}:{e.lineno}: not valid JSON ({e}); '
                         f'expected {what}.') from None


def infer_modality(path: str) -> str:
    """Guess the modality of an image from its path.

    An image is infrared when a folder of its path or a ``_``/``-``
    separated token of a folder or of the file stem is one of
    :data:`IR_TOKENS` (e.g. ``nir/0001/x.jpg``, ``test_nir/cam1/...``,
    ``0001_c01_s1_f2_nir.jpg``).

    Args:
        path (str): The image path.

    Returns:
        str: ``'ir'`` or ``'rgb'``.
    """
    parts = osp.normpath(path).replace('\\', '/').split('/')
    parts[-1] = osp.splitext(parts[-1])[0]
    for part in parts:
        if IR_TOKENS.intersection(re.split(r'[_\-.]', part.lower())):
            return 'ir'
    return 'rgb'


def resolve_root(data_root: str, names: Sequence[str], marker: str) -> str:
    """Find the folder an archive unpacked to.

    ``data_root`` may be that folder itself or its parent: the first of
    ``data_root`` and ``data_root/<name>`` for ``name`` in ``names`` that
    holds ``marker`` is returned.

    Args:
        data_root (str): The folder given by the user.
        names (Sequence[str]): Names the archive folder is known by.
        marker (str): A file or folder, relative to the archive folder,
            that identifies it.

    Returns:
        str: The archive folder.
    """
    candidates = [data_root] + [osp.join(data_root, n) for n in names]
    for candidate in candidates:
        if osp.exists(osp.join(candidate, marker)):
            return candidate
    raise FileNotFoundError(
        f'{data_root}: cannot find {marker!r} in it nor in any of the '
        f'sub-folders {list(names)}; set data_root to the folder the '
        f'archive unpacks to or to its parent.')


def first_existing(folder: str, names: Sequence[str], what: str) -> str:
    """Return ``folder/<name>`` for the first of ``names`` that exists.

    Args:
        folder (str): The folder to look in.
        names (Sequence[str]): Candidate names, in order of preference.
        what (str): What the file is, for the message.

    Returns:
        str: The existing path.
    """
    for name in names:
        path = osp.join(folder, name)
        if osp.exists(path):
            return path
    raise FileNotFoundError(f'{folder}: none of {list(names)} exists; '
                            f'expected {what}.')


def fixed_instruction(task: str,
                      instruction_text: Optional[str],
                      style: str = 'default'):
    """Return the fixed instruction of a task, or ``instruction_text``.

    Args:
        task (str): A canonical task key.
        instruction_text (str, optional): Replaces the text of ``style``;
            only valid for the tasks of :data:`DEFAULT_INSTRUCTIONS`.
        style (str): A key of :data:`INSTRUCTION_STYLES`: ``'default'``
            (:data:`DEFAULT_INSTRUCTIONS`) or ``'official'``
            (:data:`OFFICIAL_INSTRUCTIONS`). Defaults to ``'default'``.

    Returns:
        str | None: The instruction, None for tasks whose instruction is
        per record (a caption or an image).

    Example:
        >>> fixed_instruction('vi', None, 'official')
        'cross modiality'
    """
    texts = INSTRUCTION_STYLES.get(style)
    if texts is None:
        raise ValueError(f'instruction_style must be one of '
                         f'{sorted(INSTRUCTION_STYLES)}, got {style!r}.')
    if instruction_text is None:
        return texts.get(task)
    if task not in DEFAULT_INSTRUCTIONS:
        raise ValueError(
            f'instruction_text only applies to the tasks with a fixed '
            f'instruction {sorted(DEFAULT_INSTRUCTIONS)}, not to {task!r}.')
    return instruction_text


def camera_index(number: str, path: str) -> int:
    """Turn a 1-based camera number of a file name into a 0-based id.

    Args:
        number (str): The camera number as written, e.g. ``'03'``.
        path (str): The file it comes from, for the message.

    Returns:
        int: ``number - 1``.
    """
    camid = to_int(number, path, 'camera number') - 1
    if camid < 0:
        raise ValueError(f'{path}: camera numbers start at 1, got {number}.')
    return camid


def outfit_id(pid: int, clothes: int, where: str = '') -> int:
    """Make a dataset-wide outfit id from a per-person clothes number.

    Benchmarks such as LTCC and VC-Clothes number the outfits of each person
    separately; ``pid * 1000 + clothes`` identifies an outfit across the
    whole dataset, and is the same in every subset.

    Args:
        pid (int): Original person id (before relabelling).
        clothes (int): The clothes number of that person, 0..999.
        where (str): The file it comes from, for the message.

    Returns:
        int: The outfit id.
    """
    if not 0 <= clothes < OUTFITS_PER_PERSON:
        raise ValueError(f'{where}: clothes number {clothes} is outside '
                         f'0..{OUTFITS_PER_PERSON - 1}.')
    return pid * OUTFITS_PER_PERSON + clothes


def read_id_file(path: str) -> List[int]:
    """Read person ids separated by commas and/or white space.

    SYSU-MM01 (``exp/*_id.txt``) and LLCM (``idx/test_id.txt``) keep their
    split ids this way, e.g. ``1,2,4,5``.

    Args:
        path (str): The id file; it must exist.

    Returns:
        list[int]: The ids, in file order.
    """
    ids = []
    for lineno, line in read_lines(path):
        for token in re.split(r'[,\s]+', line):
            if token:
                ids.append(to_int(token, f'{path}:{lineno}', 'person id'))
    if not ids:
        raise ValueError(f'{path}: expected comma-separated person ids, '
                         f'found none.')
    return ids


def join_root(root: str, path: Optional[str]) -> Optional[str]:
    """Join a relative ``path`` to ``root``; absolute paths stay as they are.
    """
    if path is None:
        return None
    return path if osp.isabs(path) else osp.join(root, path)


def person_images(folder: str, pids: Sequence[int]) -> List[Tuple[int, str]]:
    """List ``folder/<pid as 4 digits>/<image>`` for the given ids.

    Persons without a folder are left out: in SYSU-MM01 and LLCM not every
    person is seen by every camera.

    Args:
        folder (str): A camera folder; it must exist.
        pids (Sequence[int]): Person ids.

    Returns:
        list[tuple[int, str]]: ``(pid, image path)`` pairs, by sorted pid
        then sorted path.
    """
    require_path(folder, 'one folder per person id (0001, 0002, ...)',
                 'folder')
    pairs = []
    for pid in sorted(pids):
        person = osp.join(folder, f'{pid:04d}')
        if osp.isdir(person):
            pairs.extend((pid, path) for path in list_images(person))
    return pairs


def read_image_list(list_file: str, folder: str) -> List[Tuple[str, int]]:
    """Read a list of ``<image> <label>`` lines and check every image.

    MSMT17 and LLCM ship their splits this way.

    Args:
        list_file (str): The list file.
        folder (str): Folder the image paths are relative to.

    Returns:
        list[tuple[str, int]]: ``(image path, label)`` per line, in file
        order.
    """
    items = []
    for lineno, line in read_lines(list_file):
        where = f'{list_file}:{lineno}'
        fields = line.split()
        if len(fields) != 2:
            raise ValueError(f'{where}: expected "<image> <label>", got '
                             f'{line!r}.')
        path = osp.join(folder, fields[0])
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{where}: listed image {path} does not exist.')
        items.append((path, to_int(fields[1], where, 'label')))
    return items


def check_option(owner: str, name: str, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise a
    ``ValueError`` naming the option.

    Args:
        owner (str): The class the option belongs to, for the message.
        name (str): The option's name.
        value: Its value.
        choices: The accepted values.

    Returns:
        The value.
    """
    if value not in choices:
        raise ValueError(f'{owner}: {name} must be one of {sorted(choices)}, '
                         f'got {value!r}.')
    return value
