from typing import Tuple

import torch
import torch.nn as nn

from mmreid_instruct.registry import MODELS


def euclidean_dist(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Pairwise Euclidean distances between the rows of two matrices.

    Args:
        x (Tensor): (M, D) features.
        y (Tensor): (N, D) features.

    Returns:
        Tensor: (M, N) distances, with a small floor inside the square root
        so that the gradient stays finite for identical rows.
    """
    sq = (
        x.pow(2).sum(1, keepdim=True) + y.pow(2).sum(1).unsqueeze(0) -
        2 * x @ y.t())
    return sq.clamp(min=1e-12).sqrt()


def pair_masks(labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Positive and negative pairs of a batch: a positive of anchor ``i`` has
    its label and is not ``i`` itself, a negative has another label.

    Args:
        labels (Tensor): (N,) labels.

    Returns:
        tuple[Tensor]: ``(pos_mask, neg_mask)``, (N, N) bool each.

    Example:
        >>> pos, neg = pair_masks(torch.tensor([0, 0, 1]))
        >>> pos[0].tolist(), neg[0].tolist()
        ([False, True, False], [False, False, True])
    """
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


def hard_example_mining(
        dist: torch.Tensor, labels: torch.Tensor
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batch-hard mining: the farthest positive and the closest negative.

    A positive of an anchor has its label and is not the anchor itself.

    Args:
        dist (Tensor): (N, N) distances.
        labels (Tensor): (N,) labels.

    Returns:
        tuple[Tensor]: ``(hardest_pos_dist, hardest_neg_dist, valid)``, each
        of length N; ``valid`` marks anchors with at least one positive and
        one negative.
    """
    pos_mask, neg_mask = pair_masks(labels)
    inf = torch.finfo(dist.dtype).max
    hardest_pos = dist.masked_fill(~pos_mask, -inf).max(dim=1).values
    hardest_neg = dist.masked_fill(~neg_mask, inf).min(dim=1).values
    valid = pos_mask.any(dim=1) & neg_mask.any(dim=1)
    return hardest_pos, hardest_neg, valid


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
        >>> loss(torch.randn(8, 16), torch.tensor([0, 0, 1, 1, 2, 2, 3, 3]))
    """

    def __init__(self, margin: float = 0.3, loss_weight: float = 1.0):
        super().__init__()
        self.margin = margin
        self.loss_weight = loss_weight

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
