"""LoadReIDImage: images and instruction images of a record."""
import cv2
import numpy as np
import pytest

from mmreid_instruct.datasets.transforms import LoadReIDImage
from mmreid_instruct.registry import TRANSFORMS

#: A 6x4 image whose first pixel is (B, G, R) = (10, 20, 30).
BGR = np.zeros((6, 4, 3), np.uint8)
BGR[0, 0] = (10, 20, 30)


def write_png(folder, name, img=BGR):
    path = str(folder / name)
    assert cv2.imwrite(path, img)
    return path


def test_loads_a_colour_image_as_bgr_uint8_hwc(tmp_path):
    results = LoadReIDImage()(dict(img_path=write_png(tmp_path, 'a.png')))
    img = results['img']
    assert img.dtype == np.uint8 and img.shape == (6, 4, 3)
    assert img[0, 0].tolist() == [10, 20, 30]  # BGR, as OpenCV stores it
    assert results['img_shape'] == results['ori_shape'] == (6, 4)


def test_grayscale_is_replicated_to_three_channels(tmp_path):
    path = write_png(tmp_path, 'ir.png', np.full((5, 3), 77, np.uint8))
    img = LoadReIDImage(color_type='grayscale')(dict(img_path=path))['img']
    assert img.shape == (5, 3, 3)
    assert (img == 77).all()


def test_caption_query_passes_through_without_image():
    record = dict(img_path=None, instruction='a man in red')
    results = LoadReIDImage(with_instruction_img=True)(dict(record))
    assert results == record


def test_instruction_image_only_when_asked_and_resized(tmp_path):
    record = dict(
        img_path=write_png(tmp_path, 'a.png'),
        instruction_img_path=write_png(tmp_path, 'clothes.png'))
    assert 'instruction_img' not in LoadReIDImage()(dict(record))
    loaded = LoadReIDImage(with_instruction_img=True)(dict(record))
    assert (loaded['instruction_img'] == BGR).all()
    resized = LoadReIDImage(
        with_instruction_img=True, instruction_img_scale=(8, 12))(
            dict(record))
    assert resized['instruction_img'].shape == (12, 8, 3)  # (w, h) given
    assert resized['img_shape'] == (6, 4)  # the image is not resized
    # A record without an instruction image (e.g. trad) gets none.
    record['instruction_img_path'] = None
    assert 'instruction_img' not in LoadReIDImage(with_instruction_img=True)(
        dict(record))


def test_missing_and_broken_files_are_named(tmp_path):
    missing = str(tmp_path / 'nowhere.jpg')
    with pytest.raises(FileNotFoundError, match='nowhere.jpg'):
        LoadReIDImage()(dict(img_path=missing))
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not an image')
    with pytest.raises(ValueError, match='broken.jpg'):
        LoadReIDImage()(dict(img_path=str(broken)))
    record = dict(
        img_path=write_png(tmp_path, 'a.png'),
        instruction_img_path=str(tmp_path / 'no_clothes.png'))
    with pytest.raises(FileNotFoundError, match='no_clothes.png'):
        LoadReIDImage(with_instruction_img=True)(record)


def test_options_are_checked_and_registered():
    with pytest.raises(ValueError, match='color_type'):
        LoadReIDImage(color_type='unchanged')
    transform = TRANSFORMS.build(
        dict(type='LoadReIDImage', with_instruction_img=True))
    assert isinstance(transform, LoadReIDImage)
    assert repr(transform) == (
        "LoadReIDImage(color_type='color', with_instruction_img=True, "
        'instruction_img_scale=None)')


def test_instruction_image_pil_decoding_and_resizing(tmp_path):
    """resize_backend='pillow' with PIL decoding gives the pixels of the
    official code's ``Image.open(...).convert('RGB').resize(...)``."""
    from PIL import Image
    rng = np.random.default_rng(0)
    rgb = (rng.random((40, 30, 3)) * 255).astype(np.uint8)
    path = str(tmp_path / 'clothes.png')
    Image.fromarray(rgb).save(path)
    record = dict(img_path=None, instruction_img_path=path)
    pil = LoadReIDImage(
        with_instruction_img=True,
        instruction_img_scale=(16, 16),
        imdecode_backend='pillow',
        resize_backend='pillow')(dict(record))['instruction_img']
    ref = np.asarray(
        Image.open(path).convert('RGB').resize((16, 16), Image.BILINEAR))
    assert (pil[..., ::-1] == ref).all()  # BGR, as the pipeline keeps it
    cv2_resized = LoadReIDImage(
        with_instruction_img=True,
        instruction_img_scale=(16, 16))(dict(record))['instruction_img']
    assert (cv2_resized[..., ::-1] != ref).any()
