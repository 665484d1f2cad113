from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.fileio import get

from mmreid_instruct.registry import TRANSFORMS


def _read_image(path: str, color_type: str, backend_args: Optional[dict],
                imdecode_backend: str) -> np.ndarray:
    try:
        img_bytes = get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'Image not found: {path}') from None
    img = mmcv.imfrombytes(
        img_bytes, flag=color_type, backend=imdecode_backend)
    if img is None:
        raise ValueError(f'Cannot decode image {path}: the file is not an '
                         'image or is corrupt.')
    return img


@TRANSFORMS.register_module()
class LoadReIDImage(BaseTransform):
    """Load the image of a ReID record, and its instruction image if asked.

    A record whose ``img_path`` is None (a caption used as a text query)
    passes through without an ``img``.

    Required keys: ``img_path`` and, with ``with_instruction_img``,
    ``instruction_img_path``.

    Added keys: ``img``, ``img_shape``, ``ori_shape`` (when there is an
    image) and ``instruction_img`` (when asked and the record has one).

    Args:
        color_type (str): ``'color'`` or ``'grayscale'`` (the latter is
            replicated to three channels so infrared images fit an RGB
            model). Defaults to ``'color'``.
        with_instruction_img (bool): Also load ``instruction_img_path``.
            Defaults to False.
        instruction_img_scale (tuple, optional): ``(w, h)`` to resize the
            instruction image to. Defaults to None (keep its size).
        imdecode_backend (str): mmcv decoding backend. Defaults to
            ``'cv2'``.
        resize_backend (str): mmcv backend resizing the instruction image
            (bilinear): ``'cv2'`` or ``'pillow'`` (the official code's
            PIL resize). Defaults to ``'cv2'``.
        backend_args (dict, optional): mmengine file backend arguments.

    Example:
        >>> import os.path as osp, tempfile
        >>> import cv2
        >>> path = osp.join(tempfile.mkdtemp(), 'person.png')
        >>> _ = cv2.imwrite(path, np.zeros((256, 128, 3), np.uint8))
        >>> results = LoadReIDImage()(dict(img_path=path))
        >>> results['img'].shape, results['img'].dtype
        ((256, 128, 3), dtype('uint8'))
    """

    def __init__(self,
                 color_type: str = 'color',
                 with_instruction_img: bool = False,
                 instruction_img_scale: Optional[tuple] = None,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None,
                 resize_backend: str = 'cv2') -> None:
        if color_type not in ('color', 'grayscale'):
            raise ValueError("color_type must be 'color' or 'grayscale', "
                             f'got {color_type!r}')
        self.color_type = color_type
        self.with_instruction_img = with_instruction_img
        self.instruction_img_scale = instruction_img_scale
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args
        self.resize_backend = resize_backend

    def _load(self, path: str) -> np.ndarray:
        img = _read_image(path, self.color_type, self.backend_args,
                          self.imdecode_backend)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        return img

    def transform(self, results: dict) -> dict:
        if results.get('img_path') is not None:
            img = self._load(results['img_path'])
            results['img'] = img
            results['img_shape'] = img.shape[:2]
            results['ori_shape'] = img.shape[:2]
        if self.with_instruction_img and \
                results.get('instruction_img_path') is not None:
            img = self._load(results['instruction_img_path'])
            if self.instruction_img_scale is not None:
                img = mmcv.imresize(
                    img,
                    tuple(self.instruction_img_scale),
                    backend=self.resize_backend)
            results['instruction_img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(color_type={self.color_type!r}, '
                f'with_instruction_img={self.with_instruction_img}, '
                f'instruction_img_scale={self.instruction_img_scale})')
