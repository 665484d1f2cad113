import torch
import torch.nn as nn

from mmreid_instruct.registry import MODELS
from ..utils import fp32_forward
from .utils import euclidean_dist, hard_example_mining


@MODELS.register_module()
class TripletLoss(nn.Module):
    """Batch-hard triplet loss with a hinge margin.

    For every anchor ``a`` with hardest positive ``p`` (largest distance)
    and hardest negative ``n`` (smallest distance):
    ``max(0, D(a, p) - D(a, n) + margin)``, averaged over the anchors that
    have both a positive and a negative.

    Args:
        margin (float): The margin. Defaults to 0.3.
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Example:
        >>> loss = TripletLoss(margin=0.3)
        >>> features = torch.tensor([[0.], [3.], [1.], [4.]])
        >>> loss(features, torch.tensor([0, 0, 1, 1]))  # 3 - 1 + 0.3
        tensor(2.3000)
    """

    def __init__(self, margin: float = 0.3, loss_weight: float = 1.0):
        super().__init__()
        self.margin = margin
        self.loss_weight = loss_weight

    @fp32_forward
    def forward(self, features: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (Tensor): (N, D) features.
            labels (Tensor): (N,) identity labels.

        Returns:
            Tensor: The scalar loss (0 when no anchor is valid).
        """
        dist = euclidean_dist(features, features)
        pos, neg, valid = hard_example_mining(dist, labels)
        if not valid.any():
            return features.sum() * 0
        losses = (pos - neg + self.margin).clamp(min=0)[valid]
        return losses.mean() * self.loss_weight
