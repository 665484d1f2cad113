"""Rank-list pictures: a query, its instruction and its top-k matches in one
strip, each match framed in green (correct), red (wrong) or grey (junk)."""
import os
import os.path as osp
from collections.abc import Sequence
from typing import List, Optional, Tuple, Union

import cv2
import mmcv
import mmengine
import numpy as np

ImageLike = Union[str, os.PathLike, np.ndarray]

#: ``(height, width)`` every image is fitted into (aspect ratio kept).
CELL_SIZE = (128, 64)
#: Width of the frame around every image; coloured when the match is known.
BORDER = 4
#: Gap between columns and around the strip.
PAD = 8
#: Gap between the query (and its instruction image) and the matches; a grey
#: line runs down its middle.
SEPARATOR = 16
#: Height of one line of text.
LINE_HEIGHT = 16
#: Frame of a correct match (RGB).
CORRECT_COLOR = (0, 200, 0)
#: Frame of a wrong match (RGB).
WRONG_COLOR = (220, 0, 0)
#: Frame of a junk match, one the evaluation protocol ignores (RGB).
JUNK_COLOR = (150, 150, 150)
#: The strip's background, also the frame of a match not known to be
#: correct or wrong (RGB).
BACKGROUND_COLOR = (255, 255, 255)
#: Fill around an image whose aspect ratio is not the cell's (RGB).
FILL_COLOR = (235, 235, 235)
#: Text, the caption box's outline and the separator line (RGB).
TEXT_COLOR = (0, 0, 0)
OUTLINE_COLOR = (90, 90, 90)
SEPARATOR_COLOR = (180, 180, 180)
#: A string with one of these suffixes is an image path, not a text.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: Narrowest and widest caption box, in match columns.
CAPTION_COLUMNS = (3, 8)

FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 0.4
#: Width of one column (an image cell and its frame).
COLUMN_WIDTH = CELL_SIZE[1] + 2 * BORDER
#: Height of one column's picture part.
COLUMN_HEIGHT = CELL_SIZE[0] + 2 * BORDER


def draw_rank_list(query: ImageLike,
                   matches: Sequence,
                   instruction: Union[ImageLike, Sequence, None] = None,
                   topk: Optional[int] = None,
                   query_label: Optional[str] = None) -> np.ndarray:
    """Draw one query's rank list as a strip.

    Left to right: the query (labelled ``query`` and ``query_label``), the
    instruction image if there is one, a separator, then the matches best
    first, each with its rank, its score (or distance) and its pid. A text
    instruction is printed, wrapped, above the strip. Every image is fitted
    into a :data:`CELL_SIZE` cell (aspect ratio kept, padded with
    :data:`FILL_COLOR`) inside a :data:`BORDER`-pixel frame: exactly
    :data:`CORRECT_COLOR` for a correct match, :data:`WRONG_COLOR` for a
    wrong one, :data:`JUNK_COLOR` for junk and the background
    (:data:`BACKGROUND_COLOR`) when unknown.

    The strip is ``2 * PAD + sum(column widths) + PAD * (columns - 2) +
    SEPARATOR`` pixels wide (an image column is :data:`COLUMN_WIDTH`) and
    ``2 * PAD + instruction lines * LINE_HEIGHT + COLUMN_HEIGHT + label
    lines * LINE_HEIGHT`` high, where the label lines are those of the
    column with the most (a match has ``#rank``, the score and, with a pid,
    ``id <pid>``; text wider than a column wraps).

    Args:
        query (str | PathLike | np.ndarray): An image path, an ``HxWx3``
            (or ``HxW``) uint8 array in **RGB** order, or a caption (a
            string without an image suffix that is not a file), drawn as
            wrapped text in a box for text-to-image queries.
        matches (Sequence[dict]): Best first. Each has ``img_path`` (read
            as colour, converted from BGR to RGB) or ``img`` (an RGB uint8
            array), and ``score`` (printed as is, higher = more similar) or
            ``distance`` (printed as ``d <distance>``). Optional: ``pid``;
            ``correct`` (True, False or None = unknown); ``junk`` (True
            draws the grey frame whatever ``correct`` says).
        instruction (str | PathLike | np.ndarray | list, optional): A
            text, printed above the strip, or a clothes / template image
            (path or RGB array), drawn beside the query; or a list of
            them (e.g. the text and the clothes image of a query that has
            both). Defaults to None.
        topk (int, optional): Draw only the first ``topk`` matches; more
            than there are draws them all. Defaults to None (all).
        query_label (str, optional): Extra text under the query, e.g.
            ``'id 3 cam 1'``. Defaults to None.

    Returns:
        np.ndarray: The strip, an ``HxWx3`` uint8 image in RGB order.

    Example:
        >>> import numpy as np
        >>> person = np.full((256, 128, 3), 128, np.uint8)
        >>> strip = draw_rank_list(
        ...     person, [dict(img=person, score=0.9, pid=3, correct=True),
        ...              dict(img=person, score=0.5, pid=4, correct=False)],
        ...     instruction='ignore clothes', query_label='id 3')
        >>> strip.shape
        (216, 256, 3)
        >>> # the top left corner of the first match's frame
        >>> strip[PAD + LINE_HEIGHT, PAD + COLUMN_WIDTH + SEPARATOR].tolist()
        [0, 200, 0]
    """
    matches = _check_matches(matches, topk)
    columns = [_query_column(query, query_label)]
    if instruction is None:
        instruction = []
    elif not isinstance(instruction, (list, tuple)):
        instruction = [instruction]
    texts = []
    for item in instruction:
        if _is_image(item):
            image = _load_image(item, 'instruction')
            columns.append((_framed(image, None), ['instruction']))
        elif isinstance(item, str):
            texts.append(item)
        else:
            raise TypeError('an instruction must be a text, an image path '
                            f'or an image array, got {type(item).__name__}')
    num_query_columns = len(columns)
    for rank, match in enumerate(matches, 1):
        columns.append(_match_column(rank, match))
    return _compose(columns, num_query_columns,
                    ' | '.join(texts) if texts else None)


def save_rank_list(path: str,
                   query: ImageLike,
                   matches: Sequence,
                   instruction: Union[ImageLike, Sequence, None] = None,
                   topk: Optional[int] = None,
                   query_label: Optional[str] = None) -> str:
    """Draw a rank list with :func:`draw_rank_list` and write it as a PNG.

    Args:
        path (str): The ``.png`` file to write; its folders are created.
        query, matches, instruction, topk, query_label: As
            :func:`draw_rank_list`.

    Returns:
        str: ``path``.

    Example:
        >>> import numpy as np
        >>> person = np.zeros((256, 128, 3), np.uint8)
        >>> save_rank_list('work_dirs/ranks/q0.png', person,
        ...                [dict(img=person, score=1.0)])  # doctest: +SKIP
        'work_dirs/ranks/q0.png'
    """
    path = _check_png_path(path)
    strip = draw_rank_list(query, matches, instruction, topk, query_label)
    return write_png(path, strip)


def _check_png_path(path) -> str:
    path = os.fspath(path)
    if not path.lower().endswith('.png'):
        raise ValueError(f'rank lists are written as PNG files (lossless, '
                         f'so the frame colours stay exact); the path must '
                         f'end with .png, got {path!r}')
    return path


def write_png(path: str, image: np.ndarray) -> str:
    """Write an RGB uint8 image to a ``.png`` file, creating its folders.

    Args:
        path (str): The ``.png`` file.
        image (np.ndarray): ``HxWx3`` uint8, RGB order.

    Returns:
        str: ``path``.
    """
    path = _check_png_path(path)
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(path)))
    if not cv2.imwrite(path, np.ascontiguousarray(image[..., ::-1])):
        raise OSError(f'could not write {path!r}')
    return path


def _check_matches(matches, topk: Optional[int]) -> List[dict]:
    """The matches to draw, checked."""
    if isinstance(matches, (dict, str)) or not isinstance(matches, Sequence):
        raise TypeError('matches must be a list of dicts, got '
                        f'{type(matches).__name__}')
    if len(matches) == 0:
        raise ValueError('matches is empty: a rank list needs at least one '
                         'match to draw')
    if topk is not None:
        is_int = isinstance(topk, (int, np.integer))
        if not is_int or isinstance(topk, bool) or topk < 1:
            raise ValueError(
                f'topk must be None or a positive integer, got {topk!r}')
        matches = matches[:int(topk)]
    for i, match in enumerate(matches):
        if not isinstance(match, dict):
            raise TypeError(f'matches[{i}] must be a dict, got '
                            f'{type(match).__name__}')
        for one_of in (('img_path', 'img'), ('score', 'distance')):
            given = [key for key in one_of if match.get(key) is not None]
            if len(given) != 1:
                raise ValueError(f'matches[{i}] needs exactly one of '
                                 f'{list(one_of)}, got keys {sorted(match)}')
        for key in ('correct', 'junk'):
            if match.get(key) not in (None, True, False):
                raise ValueError(f'matches[{i}]["{key}"] must be True, False '
                                 f'or None, got {match[key]!r}')
    return list(matches)


def _is_image(value) -> bool:
    """Whether a query or instruction is an image (else a text)."""
    if isinstance(value, (np.ndarray, os.PathLike)):
        return True
    if not isinstance(value, str):
        return False
    return osp.isfile(value) or value.lower().endswith(IMAGE_EXTENSIONS)


def _load_image(image: ImageLike, what: str) -> np.ndarray:
    """An RGB uint8 ``HxWx3`` array of an image path or array."""
    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what}: image file {path!r} not found')
        try:
            array = mmcv.imread(path, 'color', channel_order='rgb')
        except (cv2.error, OSError, ValueError):
            array = None
        if array is None:
            raise ValueError(f'{what}: {path!r} is not a readable image')
        return array
    if not isinstance(image, np.ndarray):
        raise TypeError(f'{what} must be an image path or array, got '
                        f'{type(image).__name__}')
    if image.dtype != np.uint8:
        raise TypeError(f'{what}: an image array must be uint8 (RGB), got '
                        f'dtype {image.dtype}')
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3) or 0 in image.shape:
        raise ValueError(f'{what}: an image array must be HxW, HxWx1 or '
                         f'HxWx3, got shape {image.shape}')
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    # e.g. a BGR array flipped with [..., ::-1]: OpenCV wants contiguous.
    return np.ascontiguousarray(image)


def _fit(image: np.ndarray) -> np.ndarray:
    """``image`` scaled into a :data:`CELL_SIZE` cell, centred."""
    cell_h, cell_w = CELL_SIZE
    h, w = image.shape[:2]
    scale = min(cell_h / h, cell_w / w)
    new_h = min(cell_h, max(1, round(h * scale)))
    new_w = min(cell_w, max(1, round(w * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interp)
    cell = np.full((cell_h, cell_w, 3), FILL_COLOR, np.uint8)
    top, left = (cell_h - new_h) // 2, (cell_w - new_w) // 2
    cell[top:top + new_h, left:left + new_w] = resized
    return cell


def _framed(image: np.ndarray, color: Optional[Tuple[int, int,
                                                     int]]) -> np.ndarray:
    """A column's picture: the fitted image inside a frame of ``color``
    (the background when None)."""
    block = np.full((COLUMN_HEIGHT, COLUMN_WIDTH, 3), color
                    or BACKGROUND_COLOR, np.uint8)
    block[BORDER:BORDER + CELL_SIZE[0], BORDER:BORDER + CELL_SIZE[1]] = \
        _fit(image)
    return block


def _text_width(text: str) -> int:
    return cv2.getTextSize(text, FONT, FONT_SCALE, 1)[0][0]


def _wrap(text: str, width: int) -> List[str]:
    """``text`` broken into lines no wider than ``width`` pixels: between
    words, and inside a word wider than a line."""
    lines = []
    for paragraph in str(text).splitlines() or ['']:
        line = ''
        for word in paragraph.split():
            candidate = f'{line} {word}' if line else word
            if _text_width(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while _text_width(word) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and _text_width(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def _put_lines(canvas: np.ndarray, lines: List[str], x: int, y: int) -> None:
    """Write ``lines`` from ``(x, y)`` (top left), one per LINE_HEIGHT."""
    for i, line in enumerate(lines):
        baseline = y + i * LINE_HEIGHT + LINE_HEIGHT - 4
        cv2.putText(canvas, line, (x, baseline), FONT, FONT_SCALE, TEXT_COLOR,
                    1, cv2.LINE_AA)


def _query_column(query: ImageLike, label: Optional[str]) -> Tuple:
    """The query's picture (an image, or a caption box) and its lines."""
    if _is_image(query):
        block = _framed(_load_image(query, 'query'), None)
    elif isinstance(query, str):
        block = _caption_box(query)
    else:
        raise TypeError('query must be an image path, an image array or a '
                        f'caption, got {type(query).__name__}')
    lines = ['query']
    if label is not None:
        lines += _wrap(label, block.shape[1] - 2)
    return block, lines


def _caption_box(caption: str) -> np.ndarray:
    """A box holding ``caption``, widened (up to
    :data:`CAPTION_COLUMNS`) until the wrapped text fits, and cut with
    ``...`` beyond that."""
    inset = BORDER + 4
    max_lines = (COLUMN_HEIGHT - 2 * inset) // LINE_HEIGHT
    for columns in range(CAPTION_COLUMNS[0], CAPTION_COLUMNS[1] + 1):
        width = columns * COLUMN_WIDTH + (columns - 1) * PAD
        lines = _wrap(caption, width - 2 * inset)
        if len(lines) <= max_lines:
            break
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _text_width(last + '...') > width - 2 * inset:
            last = last[:-1]
        lines[-1] = last + '...'
    box = np.full((COLUMN_HEIGHT, width, 3), BACKGROUND_COLOR, np.uint8)
    cv2.rectangle(box, (0, 0), (width - 1, COLUMN_HEIGHT - 1), OUTLINE_COLOR,
                  1)
    _put_lines(box, lines, inset, inset)
    return box


def _format_number(value) -> str:
    return f'{float(value):.4g}'


def _match_column(rank: int, match: dict) -> Tuple:
    """A match's framed picture and its lines."""
    what = f'matches[{rank - 1}]'
    image = match.get('img')
    image = _load_image(match['img_path'] if image is None else image, what)
    if match.get('junk'):
        color = JUNK_COLOR
    elif match.get('correct') is None:
        color = None
    else:
        color = CORRECT_COLOR if match['correct'] else WRONG_COLOR
    if match.get('score') is not None:
        value = _format_number(match['score'])
    else:
        value = 'd ' + _format_number(match['distance'])
    lines = [f'#{rank}', value]
    if match.get('pid') is not None:
        lines.append(f'id {match["pid"]}')
    width = COLUMN_WIDTH - 2
    lines = [part for line in lines for part in _wrap(line, width)]
    return _framed(image, color), lines


def _compose(columns: List[Tuple], num_query_columns: int,
             instruction: Optional[str]) -> np.ndarray:
    """Lay out the columns (``(picture, lines)``), the separator after the
    first ``num_query_columns`` and the instruction text above."""
    widths = [block.shape[1] for block, _ in columns]
    width = 2 * PAD + sum(widths) + PAD * (len(columns) - 2) + SEPARATOR
    band = []
    if instruction is not None:
        band = _wrap(f'instruction: {instruction}', width - 2 * PAD)
    label_lines = max(len(lines) for _, lines in columns)
    top = PAD + len(band) * LINE_HEIGHT
    height = top + COLUMN_HEIGHT + label_lines * LINE_HEIGHT + PAD
    canvas = np.full((height, width, 3), BACKGROUND_COLOR, np.uint8)
    _put_lines(canvas, band, PAD, PAD)
    x = PAD
    for i, (block, lines) in enumerate(columns):
        if i == num_query_columns:
            x += SEPARATOR - PAD
            line_x = x - SEPARATOR // 2 - 1
            canvas[top:top + COLUMN_HEIGHT,
                   line_x:line_x + 2] = SEPARATOR_COLOR
        canvas[top:top + COLUMN_HEIGHT, x:x + block.shape[1]] = block
        _put_lines(canvas, lines, x + 1, top + COLUMN_HEIGHT)
        x += block.shape[1] + PAD
    return canvas
