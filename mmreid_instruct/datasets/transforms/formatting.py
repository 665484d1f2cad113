from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmreid_instruct.registry import TRANSFORMS
from mmreid_instruct.structures import ReIDDataSample


def image_to_tensor(img: np.ndarray) -> torch.Tensor:
    """Convert an HWC image array to a contiguous CHW tensor.

    Args:
        img (np.ndarray): Image of shape (H, W, C) or (H, W).

    Returns:
        torch.Tensor: Tensor of shape (C, H, W).
    """
    if img.ndim == 2:
        img = img[..., None]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackReIDInputs(BaseTransform):
    """Pack a ReID record into ``inputs`` and a :class:`ReIDDataSample`.

    ``inputs`` is the CHW image tensor, or None for a caption query. The
    labels (pid, camid, clothes_id, modality, task, instruction) become
    data fields of the sample; an instruction image becomes its
    ``instruction_img`` field (CHW tensor); ``meta_keys`` go to its
    metainfo.

    Args:
        meta_keys (Sequence[str]): Keys copied into the metainfo. Defaults
            to image and record bookkeeping keys.

    Example:
        >>> results = dict(img=np.zeros((256, 128, 3), np.uint8), pid=5,
        ...                task='sc', img_path='a.jpg')
        >>> packed = PackReIDInputs()(results)
        >>> packed['inputs'].shape, packed['data_samples'].pid
        (torch.Size([3, 256, 128]), 5)
        >>> packed['data_samples'].task, packed['data_samples'].img_path
        ('trad', 'a.jpg')
    """

    LABEL_SETTERS = dict(
        pid='set_pid',
        camid='set_camid',
        clothes_id='set_clothes_id',
        modality='set_modality',
        task='set_task',
        instruction='set_instruction')

    def __init__(self,
                 meta_keys: Sequence[str] = ('sample_idx', 'img_path',
                                             'instruction_img_path', 'subset',
                                             'dataset_name', 'ori_shape',
                                             'img_shape', 'flip',
                                             'flip_direction')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results.get('img')
        inputs = None if img is None else image_to_tensor(img)

        data_sample = ReIDDataSample()
        for key, setter in self.LABEL_SETTERS.items():
            if key in results:
                getattr(data_sample, setter)(results[key])
        if 'instruction_img' in results:
            data_sample.set_field(
                image_to_tensor(results['instruction_img']), 'instruction_img')
        data_sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
