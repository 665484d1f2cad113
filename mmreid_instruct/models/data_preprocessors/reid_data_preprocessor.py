from typing import Sequence

import torch
from mmengine.model import ImgDataPreprocessor

from mmreid_instruct.registry import MODELS


@MODELS.register_module()
class ReIDDataPreprocessor(ImgDataPreprocessor):
    """Normalise and stack ReID images; captions pass through.

    Images are cast to float, converted BGR→RGB when asked, normalised and
    stacked into ``inputs``. A batch made only of caption queries (no
    images) gives ``inputs=None``. Instruction images found in the data
    samples (``instruction_img``) are normalised the same way, in place.

    Args:
        mean (Sequence[float]): Per-channel mean, in the 0-255 range.
            Defaults to the ImageNet mean.
        std (Sequence[float]): Per-channel std. Defaults to the ImageNet std.
        to_rgb (bool): Convert BGR (as loaded by OpenCV) to RGB. Defaults to
            True.
        non_blocking (bool): Non-blocking host-to-device copies.

    Example:
        >>> pre = ReIDDataPreprocessor()
        >>> img = torch.randint(0, 256, (3, 8, 4), dtype=torch.uint8)
        >>> pre(dict(inputs=[img, img], data_samples=None))['inputs'].shape
        torch.Size([2, 3, 8, 4])
        >>> pre(dict(inputs=[None, None], data_samples=None))['inputs'] is None
        True
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 to_rgb: bool = True,
                 non_blocking: bool = False):
        super().__init__(
            mean=mean, std=std, bgr_to_rgb=to_rgb, non_blocking=non_blocking)

    def _normalize(self, img: torch.Tensor) -> torch.Tensor:
        if self._channel_conversion and img.size(0) == 3:
            img = img[[2, 1, 0], ...]
        img = img.float()
        if self._enable_normalize:
            img = (img - self.mean) / self.std
        return img

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        data_samples = data.get('data_samples')
        if isinstance(inputs, (list, tuple)):
            present = [x for x in inputs if x is not None]
            if present and len(present) != len(inputs):
                raise ValueError(
                    'A batch mixes images and caption-only samples; the '
                    'dataloader must give one kind per batch (for a '
                    'concatenation of test sets use batch_sampler='
                    "dict(type='PerDatasetBatchSampler')).")
            inputs = torch.stack([self._normalize(x) for x in present]) \
                if present else None
        elif isinstance(inputs, torch.Tensor):
            inputs = torch.stack([self._normalize(x) for x in inputs])
        if data_samples is not None and all('instruction_img' in s
                                            for s in data_samples):
            for sample in data_samples:
                sample.instruction_img = self._normalize(
                    sample.instruction_img)
        return dict(inputs=inputs, data_samples=data_samples)
