from typing import Optional, Sequence

import torch
from mmengine.model import ImgDataPreprocessor

from mmreid_instruct.registry import MODELS

#: CLIP's mean and std in the 0-255 range, which the official Instruct-ReID
#: code uses for training clothes images.
CLIP_MEAN = (122.7709383, 116.7460125, 104.09373615)
CLIP_STD = (68.5005327, 66.6321579, 70.32316305)


@MODELS.register_module()
class ReIDDataPreprocessor(ImgDataPreprocessor):
    """Normalise and stack ReID images; captions pass through.

    Images are cast to float, converted BGR→RGB when asked, normalised and
    stacked into ``inputs``. A batch made only of caption queries (no
    images) gives ``inputs=None``. Instruction images found in the data
    samples (``instruction_img``) are normalised the same way, in place;
    in training, ``train_instruction_mean`` and ``train_instruction_std``
    replace ``mean`` and ``std`` for them when given (the official
    Instruct-ReID code normalises training clothes images with CLIP's
    mean and std, test ones with ImageNet's: :data:`CLIP_MEAN`,
    :data:`CLIP_STD`).

    Args:
        mean (Sequence[float]): Per-channel mean, in the 0-255 range.
            Defaults to the ImageNet mean.
        std (Sequence[float]): Per-channel std. Defaults to the ImageNet std.
        to_rgb (bool): Convert BGR (as loaded by OpenCV) to RGB. Defaults to
            True.
        non_blocking (bool): Non-blocking host-to-device copies.
        train_instruction_mean (Sequence[float], optional): Mean for the
            instruction images of training batches, in the 0-255 range.
            Defaults to None (``mean``).
        train_instruction_std (Sequence[float], optional): Their std.
            Defaults to None (``std``); given with the mean.

    Example:
        >>> pre = ReIDDataPreprocessor()
        >>> img = torch.randint(0, 256, (3, 8, 4), dtype=torch.uint8)
        >>> pre(dict(inputs=[img, img], data_samples=None))['inputs'].shape
        torch.Size([2, 3, 8, 4])
        >>> pre(dict(inputs=[None, None], data_samples=None))['inputs'] is None
        True
        >>> from mmreid_instruct.structures import ReIDDataSample
        >>> clip = ReIDDataPreprocessor(train_instruction_mean=CLIP_MEAN,
        ...                             train_instruction_std=CLIP_STD)
        >>> sample = ReIDDataSample()
        >>> sample.instruction_img = torch.full((3, 2, 2), 255).byte()
        >>> out = clip(dict(inputs=[img], data_samples=[sample]), True)
        >>> out['data_samples'][0].instruction_img[:, 0, 0]  # CLIP's
        tensor([1.9303, 2.0749, 2.1459])
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 to_rgb: bool = True,
                 non_blocking: bool = False,
                 train_instruction_mean: Optional[Sequence[float]] = None,
                 train_instruction_std: Optional[Sequence[float]] = None):
        super().__init__(
            mean=mean, std=std, bgr_to_rgb=to_rgb, non_blocking=non_blocking)
        if (train_instruction_mean is None) != (train_instruction_std is None):
            raise ValueError(
                'ReIDDataPreprocessor: give train_instruction_mean and '
                'train_instruction_std together (or neither), got '
                f'mean={train_instruction_mean!r}, '
                f'std={train_instruction_std!r}')
        self.train_instruction_norm = train_instruction_mean is not None
        if self.train_instruction_norm:
            for name, values in (('train_instruction_mean',
                                  train_instruction_mean),
                                 ('train_instruction_std',
                                  train_instruction_std)):
                if len(values) != len(mean):
                    raise ValueError(
                        f'ReIDDataPreprocessor: {name} needs {len(mean)} '
                        f'values (one per channel), got {values!r}')
                self.register_buffer(
                    name,
                    torch.tensor(values, dtype=torch.float32).view(-1, 1, 1),
                    False)

    def _normalize(self,
                   img: torch.Tensor,
                   mean: Optional[torch.Tensor] = None,
                   std: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self._channel_conversion and img.size(0) == 3:
            img = img[[2, 1, 0], ...]
        img = img.float()
        if self._enable_normalize:
            mean = self.mean if mean is None else mean
            std = self.std if std is None else std
            img = (img - mean) / std
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
            norm = {}
            if training and self.train_instruction_norm:
                norm = dict(
                    mean=self.train_instruction_mean,
                    std=self.train_instruction_std)
            for sample in data_samples:
                sample.instruction_img = self._normalize(
                    sample.instruction_img, **norm)
        return dict(inputs=inputs, data_samples=data_samples)
