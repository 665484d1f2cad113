import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmreid_instruct.registry import MODELS
from ..utils import fp32_forward


def soft_target_cross_entropy(logits: torch.Tensor,
                              targets: torch.Tensor) -> torch.Tensor:
    """Mean over rows of ``-sum_j targets[i, j] * log_softmax(logits)[i, j]``.

    Args:
        logits (Tensor): (N, M) scores.
        targets (Tensor): (N, M) target distributions (rows sum to 1).

    Returns:
        Tensor: The scalar mean loss.
    """
    return -(targets * logits.log_softmax(dim=1)).sum(dim=1).mean()


@MODELS.register_module()
class IdentityContrastiveLoss(nn.Module):
    """Image-text InfoNCE whose positives are all same-identity pairs.

    For the text-to-image branch. Both embeddings are L2-normalised; the
    logits are their cosine similarities divided by the temperature. Each
    row's target distribution is uniform over the columns of the same
    identity (several images and captions of one person are all matches,
    not negatives). The image-to-text and text-to-image cross-entropies are
    averaged. With every identity unique this is the CLIP loss.

    Args:
        temperature (float): Initial (or fixed) temperature, > 0. Defaults
            to 0.07.
        learnable_temperature (bool): Learn the temperature (as its log, so
            it stays positive). Otherwise it is a constant, not saved in the
            state dict. Defaults to False.
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Example:
        >>> loss = IdentityContrastiveLoss(temperature=0.07)
        >>> image = text = torch.eye(4)  # each caption matches its image
        >>> loss(image, text, torch.arange(4)) < 1e-5
        tensor(True)
        >>> loss(image, text, torch.tensor([0, 0, 1, 2]))  # 0 and 1: one id
        tensor(3.5714)
    """

    def __init__(self,
                 temperature: float = 0.07,
                 learnable_temperature: bool = False,
                 loss_weight: float = 1.0):
        super().__init__()
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if learnable_temperature:
            self.log_temperature = nn.Parameter(
                torch.tensor(math.log(temperature)))
        else:
            self.log_temperature = None
            self.fixed_temperature = temperature
        self.loss_weight = loss_weight

    @property
    def temperature(self) -> torch.Tensor:
        """The current temperature (a scalar tensor)."""
        if self.log_temperature is None:
            return torch.tensor(self.fixed_temperature, dtype=torch.float64)
        return self.log_temperature.exp()

    @fp32_forward
    def forward(self, image_embeds: torch.Tensor, text_embeds: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            image_embeds (Tensor): (B, D) image embeddings.
            text_embeds (Tensor): (B, D) text embeddings; row i describes
                the identity ``labels[i]``, like image row i.
            labels (Tensor): (B,) identity labels.

        Returns:
            Tensor: The scalar loss.
        """
        self._check_inputs(image_embeds, text_embeds, labels)
        image = F.normalize(image_embeds, dim=1)
        text = F.normalize(text_embeds, dim=1)
        if self.log_temperature is None:
            logits = image @ text.t() / self.fixed_temperature
        else:
            logits = image @ text.t() / self.log_temperature.exp().to(
                image.dtype)
        same = (labels.unsqueeze(0) == labels.unsqueeze(1)).to(logits.dtype)
        # Same-identity masks are symmetric, so one target matrix serves both
        # directions.
        targets = same / same.sum(dim=1, keepdim=True)
        loss = (soft_target_cross_entropy(logits, targets) +
                soft_target_cross_entropy(logits.t(), targets)) / 2
        return loss * self.loss_weight

    @staticmethod
    def _check_inputs(image_embeds: torch.Tensor, text_embeds: torch.Tensor,
                      labels: torch.Tensor) -> None:
        if image_embeds.dim() != 2:
            raise ValueError('image_embeds must be (B, D), got shape '
                             f'{tuple(image_embeds.shape)}')
        if text_embeds.shape != image_embeds.shape:
            raise ValueError(
                'text_embeds must have the shape of image_embeds '
                f'{tuple(image_embeds.shape)}, got {tuple(text_embeds.shape)}')
        if labels.shape != (len(image_embeds), ):
            raise ValueError(f'labels must be ({len(image_embeds)},) to '
                             'match the embeddings, got shape '
                             f'{tuple(labels.shape)}')
