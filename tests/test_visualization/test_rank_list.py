"""Rank-list strips, read back from the PNGs written."""
import cv2
import numpy as np
import pytest

from mmreid_instruct.visualization import (CORRECT_COLOR, JUNK_COLOR,
                                           WRONG_COLOR, draw_rank_list,
                                           save_rank_list)
from mmreid_instruct.visualization.rank_list import (BACKGROUND_COLOR, BORDER,
                                                     COLUMN_HEIGHT,
                                                     COLUMN_WIDTH, LINE_HEIGHT,
                                                     PAD, SEPARATOR)

WHITE = [255, 255, 255]


def person(color, size=(256, 128)):
    """A solid RGB image."""
    return np.full(size + (3, ), color, np.uint8)


def write_rgb(path, rgb):
    cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]))
    return str(path)


def read_rgb(path):
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return image[..., ::-1]


def block(strip, column, top=PAD, first_match_column=1):
    """The framed picture of a column (0 = the query)."""
    x = PAD + column * (COLUMN_WIDTH + PAD)
    if column >= first_match_column:
        x += SEPARATOR - PAD
    return strip[top:top + COLUMN_HEIGHT, x:x + COLUMN_WIDTH]


def frame_colors(picture):
    """Every distinct colour of the BORDER-wide ring around a picture."""
    ring = np.concatenate([
        picture[:BORDER].reshape(-1, 3), picture[-BORDER:].reshape(-1, 3),
        picture[:, :BORDER].reshape(-1, 3), picture[:,
                                                    -BORDER:].reshape(-1, 3)
    ])
    return np.unique(ring, axis=0).tolist()


def center(picture):
    return picture[COLUMN_HEIGHT // 2, COLUMN_WIDTH // 2].tolist()


@pytest.fixture
def gallery(tmp_path):
    """Three gallery image files of known colours (written as BGR)."""
    colors = [(200, 30, 30), (30, 120, 200), (90, 90, 10)]
    return [
        write_rgb(tmp_path / f'g{i}.png', person(c))
        for i, c in enumerate(colors)
    ], colors


def test_size_frames_and_colors_read_back(tmp_path, gallery):
    paths, colors = gallery
    query = write_rgb(tmp_path / 'q.jpg', person((10, 60, 220)))
    matches = [
        dict(img_path=paths[0], score=0.9, pid=1, correct=True),
        dict(img_path=paths[1], score=0.7, pid=2, correct=False),
        dict(img_path=paths[2], score=0.5, pid=3),
    ]
    out = save_rank_list(tmp_path / 'a' / 'b' / 'q.png', query, matches)
    assert out == str(tmp_path / 'a' / 'b' / 'q.png')
    strip = read_rgb(out)
    # 4 columns of 72 px, 3 gaps of 8 of which one is the 16 px separator,
    # 8 px margins; 136 px pictures and 3 lines under a match.
    assert strip.shape == (8 + 136 + 3 * 16 + 8, 8 + 4 * 72 + 2 * 8 + 16 + 8,
                           3) == (200, 336, 3)
    assert frame_colors(block(strip, 1)) == [list(CORRECT_COLOR)]
    assert frame_colors(block(strip, 2)) == [list(WRONG_COLOR)]
    assert frame_colors(block(strip, 3)) == [WHITE]  # unknown: no frame
    assert frame_colors(block(strip, 0)) == [WHITE]
    # Files are read as BGR and drawn as RGB.
    for j, color in enumerate(colors):
        assert center(block(strip, j + 1)) == list(color)
    # (a JPEG query: lossy)
    assert np.abs(np.subtract(center(block(strip, 0)),
                              [10, 60, 220])).max() <= 3
    # The separator line and text (dark pixels) under the columns.
    assert (strip[PAD + 10, PAD + COLUMN_WIDTH + SEPARATOR // 2 - 1]
            < 255).all()
    labels = strip[PAD + COLUMN_HEIGHT:-PAD]
    assert (labels.min(axis=2) < 100).sum() > 50


def test_arrays_are_rgb_and_junk_is_grey(gallery):
    paths, colors = gallery
    matches = [
        dict(img=person(colors[0]), distance=0.1, correct=True, junk=True),
        dict(img_path=paths[1], distance=0.2, correct=False),
    ]
    # A BGR array flipped to RGB (a view with a negative stride).
    strip = draw_rank_list(person((3, 2, 1))[..., ::-1], matches)
    assert frame_colors(block(strip, 1)) == [list(JUNK_COLOR)]
    assert center(block(strip, 1)) == list(colors[0])
    assert center(block(strip, 0)) == [1, 2, 3]
    # No pid line: #rank and the distance only.
    assert strip.shape[0] == 2 * PAD + COLUMN_HEIGHT + 2 * LINE_HEIGHT


def test_aspect_ratio_kept_and_grey_images():
    wide = person((0, 0, 250), size=(64, 128))
    gray = np.full((30, 20), 77, np.uint8)
    strip = draw_rank_list(wide, [dict(img=gray, score=1.0)])
    query = block(strip, 0)
    # A 2:1 wide image in a 1:2 cell: 32 px high in the middle, filled
    # above and below.
    assert center(query) == [0, 0, 250]
    assert query[BORDER + 2, COLUMN_WIDTH // 2].tolist() == [235, 235, 235]
    assert center(block(strip, 1)) == [77, 77, 77]


def test_topk_cuts_or_keeps_every_match(gallery):
    paths, _ = gallery
    matches = [dict(img_path=p, score=1.0 - i) for i, p in enumerate(paths)]
    query = person((0, 0, 0))
    full = draw_rank_list(query, matches)
    assert draw_rank_list(query, matches, topk=10).shape == full.shape
    two = draw_rank_list(query, matches, topk=2)
    assert full.shape[1] - two.shape[1] == COLUMN_WIDTH + PAD
    with pytest.raises(ValueError, match='topk must be None or a positive'):
        draw_rank_list(query, matches, topk=0)


def test_caption_query_draws_text_in_a_box(gallery):
    paths, _ = gallery
    matches = [dict(img_path=paths[0], score=0.3, pid=4, correct=True)]
    short = draw_rank_list('a man in a red jacket and blue jeans', matches)
    box_width = 3 * COLUMN_WIDTH + 2 * PAD
    assert short.shape[1] == 2 * PAD + box_width + COLUMN_WIDTH + SEPARATOR
    box = short[PAD:PAD + COLUMN_HEIGHT, PAD:PAD + box_width]
    assert (box.min(axis=2) < 100).sum() > 100  # the caption's text
    # The match is still framed in green after the wide query box.
    match = short[PAD:PAD + COLUMN_HEIGHT, PAD + box_width + SEPARATOR:]
    assert frame_colors(match[:, :COLUMN_WIDTH]) == [list(CORRECT_COLOR)]
    # A longer caption widens the box; a very long one stops at 8 columns.
    longer = draw_rank_list('a woman wearing a long coat ' * 12, matches)
    assert longer.shape[1] > short.shape[1]
    longest = draw_rank_list('word ' * 1000, matches)
    widest = 8 * COLUMN_WIDTH + 7 * PAD
    assert longest.shape[1] == 2 * PAD + widest + COLUMN_WIDTH + SEPARATOR
    assert longest.shape[0] == short.shape[0]


def test_instruction_image_and_text(tmp_path, gallery):
    paths, _ = gallery
    matches = [dict(img_path=paths[0], score=0.3, correct=False)]
    query = person((5, 5, 5))
    plain = draw_rank_list(query, matches)
    clothes = write_rgb(tmp_path / 'clothes.png',
                        person((240, 200, 0), size=(128, 128)))
    with_image = draw_rank_list(query, matches, instruction=clothes)
    assert with_image.shape[0] == plain.shape[0]
    assert with_image.shape[1] == plain.shape[1] + COLUMN_WIDTH + PAD
    instruction = block(with_image, 1, first_match_column=2)
    assert center(instruction) == [240, 200, 0]
    assert frame_colors(instruction) == [WHITE]
    assert frame_colors(block(with_image, 2,
                              first_match_column=2)) == [list(WRONG_COLOR)]
    # A text instruction is printed above: the pictures move down.
    with_text = draw_rank_list(query, matches, instruction='ignore clothes')
    assert with_text.shape == (plain.shape[0] + LINE_HEIGHT, plain.shape[1], 3)
    band = with_text[PAD:PAD + LINE_HEIGHT]
    assert (band.min(axis=2) < 100).any()
    assert frame_colors(block(with_text, 1,
                              top=PAD + LINE_HEIGHT)) == [list(WRONG_COLOR)]
    both = draw_rank_list(
        query, matches, instruction=['ignore clothes', clothes])
    assert both.shape == (with_text.shape[0], with_image.shape[1], 3)
    assert center(block(both, 1, top=PAD + LINE_HEIGHT,
                        first_match_column=2)) == [240, 200, 0]
    with pytest.raises(TypeError, match='an instruction must be a text'):
        draw_rank_list(query, matches, instruction=[3])
    long_text = draw_rank_list(
        query, matches, instruction='wear a ' + 'very ' * 20 + 'long coat')
    assert long_text.shape[0] > with_text.shape[0]
    assert long_text.shape[1] == plain.shape[1]


def test_query_label_wraps_under_the_query():
    matches = [dict(img=person((0, 0, 0)), score=1.0)]
    strip = draw_rank_list(
        person((0, 0, 0)), matches, query_label='id 1234 cam 5 clothes 6')
    # 'query' and the label wrapped in 72 px: more lines than a match.
    assert strip.shape[0] > 2 * PAD + COLUMN_HEIGHT + 2 * LINE_HEIGHT


def test_bad_input(tmp_path, gallery):
    paths, _ = gallery
    query = person((0, 0, 0))
    good = dict(img_path=paths[0], score=1.0)
    missing = str(tmp_path / 'nowhere.jpg')
    with pytest.raises(FileNotFoundError, match=r'matches\[1\].*nowhere'):
        draw_rank_list(query, [good, dict(img_path=missing, score=0.5)])
    with pytest.raises(FileNotFoundError, match='query: .*nowhere'):
        draw_rank_list(missing, [good])
    with pytest.raises(FileNotFoundError, match='instruction: .*nowhere'):
        draw_rank_list(query, [good], instruction=missing)
    with pytest.raises(ValueError, match='matches is empty'):
        draw_rank_list(query, [])
    with pytest.raises(TypeError, match='matches must be a list'):
        draw_rank_list(query, good)
    with pytest.raises(
            ValueError,
            match=r"matches\[0\] needs exactly one "
            r"of \['score', 'distance'\]"):
        draw_rank_list(query, [dict(img_path=paths[0])])
    with pytest.raises(ValueError, match=r"exactly one of \['img_path', "):
        draw_rank_list(query, [dict(img=query, img_path=paths[0], score=1)])
    with pytest.raises(ValueError, match=r'\["correct"\] must be True'):
        draw_rank_list(query, [dict(good, correct='yes')])
    with pytest.raises(TypeError, match='must be uint8'):
        draw_rank_list(query.astype(np.float32), [good])
    with pytest.raises(ValueError, match='HxW, HxWx1 or HxWx3'):
        draw_rank_list(np.zeros((4, 4, 4), np.uint8), [good])
    bad_file = tmp_path / 'bad.png'
    bad_file.write_text('not an image')
    with pytest.raises(ValueError, match='not a readable image'):
        draw_rank_list(str(bad_file), [good])
    with pytest.raises(ValueError, match='must end with .png'):
        save_rank_list(tmp_path / 'q.jpg', query, [good])
    assert not (tmp_path / 'q.jpg').exists()


def test_background_is_white():
    strip = draw_rank_list(
        person((0, 0, 0)), [dict(img=person((0, 0, 0)), score=1.0)])
    assert strip[0, 0].tolist() == list(BACKGROUND_COLOR) == WHITE
    assert strip.dtype == np.uint8
