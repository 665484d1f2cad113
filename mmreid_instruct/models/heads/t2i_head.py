from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmreid_instruct.registry import MODELS
from mmreid_instruct.structures import ReIDDataSample
from ..utils import build_optional_neck


@MODELS.register_module()
class T2IHead(BaseModule):
    """Text-to-image head: image CLS and caption CLS are projected by linear
    layers into a shared ``embed_dims``-wide space and trained with the
    identity-aware contrastive loss.

    At test time an image sample gets its normalised image embedding and a
    caption query (no image) its normalised text embedding, both as
    ``pred_feature``, so cosine similarity is their dot product.

    Args:
        img_channels (int): Width of the image CLS.
        text_channels (int): Width of the caption CLS.
        embed_dims (int): Width of the shared space. Defaults to 256.
        loss (dict): Contrastive loss, called as
            ``loss(image_embeds, text_embeds, labels)``. Defaults to
            ``IdentityContrastiveLoss`` (temperature 0.07).
        img_neck (dict, optional): A neck between the image CLS and
            ``img_proj``, built with ``in_channels=img_channels``, e.g.
            ``dict(type='BNNeck')``: it standardises each channel over the
            batch (running statistics at test), as the BN necks of the ReID
            branches do. A CLS that varies little from image to image
            against its common part (a ViT trained from scratch behind BN
            necks) otherwise gives almost the same embedding for every
            image. Defaults to None (the CLS goes to ``img_proj`` as is).
        init_cfg (dict, optional): Initialisation config.

    Example:
        >>> head = T2IHead(img_channels=64, text_channels=48, embed_dims=32)
        >>> samples = [ReIDDataSample().set_pid(p) for p in (0, 0, 1)]
        >>> img_cls, text_cls = torch.randn(3, 64), torch.randn(3, 48)
        >>> head.loss(img_cls, text_cls, samples)['loss_t2i'].shape
        torch.Size([])
        >>> head.embed_text(text_cls).shape
        torch.Size([3, 32])
    """

    def __init__(self,
                 img_channels: int,
                 text_channels: int,
                 embed_dims: int = 256,
                 loss: dict = dict(type='IdentityContrastiveLoss'),
                 img_neck: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.img_neck = build_optional_neck(img_neck, img_channels)
        self.img_proj = nn.Linear(img_channels, embed_dims)
        self.text_proj = nn.Linear(text_channels, embed_dims)
        self.loss_module = MODELS.build(loss)

    def embed_image(self, img_cls: torch.Tensor) -> torch.Tensor:
        """(B, img_channels) -> (B, embed_dims), L2-normalised."""
        if self.img_neck is not None:
            img_cls = self.img_neck(img_cls)
        return F.normalize(self.img_proj(img_cls), dim=1)

    def embed_text(self, text_cls: torch.Tensor) -> torch.Tensor:
        """(B, text_channels) -> (B, embed_dims), L2-normalised."""
        return F.normalize(self.text_proj(text_cls), dim=1)

    def loss(self, img_cls: torch.Tensor, text_cls: torch.Tensor,
             data_samples: List[ReIDDataSample]) -> Dict[str, torch.Tensor]:
        """Contrastive loss between row i's image and row i's caption.

        Args:
            img_cls (Tensor): (B, img_channels).
            text_cls (Tensor): (B, text_channels).
            data_samples (list[ReIDDataSample]): Samples with ``pid``.

        Returns:
            dict[str, Tensor]: ``loss_t2i``.
        """
        labels = torch.tensor([s.pid for s in data_samples],
                              dtype=torch.long,
                              device=img_cls.device)
        return dict(
            loss_t2i=self.loss_module(
                self.embed_image(img_cls), self.embed_text(text_cls), labels))

    def predict(self, img_cls: Optional[torch.Tensor],
                text_cls: Optional[torch.Tensor],
                data_samples: List[ReIDDataSample]) -> List[ReIDDataSample]:
        """Attach image embeddings (when ``img_cls`` is given) or else text
        embeddings as ``pred_feature``.

        Args:
            img_cls (Tensor | None): (B, img_channels) for image samples.
            text_cls (Tensor | None): (B, text_channels) for caption
                queries.
            data_samples (list[ReIDDataSample]): The samples to fill.

        Returns:
            list[ReIDDataSample]: The samples.
        """
        if img_cls is not None:
            feats = self.embed_image(img_cls)
        elif text_cls is not None:
            feats = self.embed_text(text_cls)
        else:
            raise ValueError('T2IHead.predict needs img_cls or text_cls')
        for sample, f in zip(data_samples, feats.detach()):
            sample.set_pred_feature(f)
        return data_samples
