from typing import Tuple

import torch

from ..utils import fp32_forward


@fp32_forward
def euclidean_dist(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Pairwise Euclidean distances between the rows of two matrices.

    Args:
        x (Tensor): (M, D) features.
        y (Tensor): (N, D) features.

    Returns:
        Tensor: (M, N) distances, with a small floor inside the square root
        so that the gradient stays finite for identical rows. Computed in
        float32 under mixed precision (a float16 sum of squares overflows
        above 65,504).

    Example:
        >>> euclidean_dist(torch.tensor([[0., 0.]]),
        ...                torch.tensor([[3., 4.], [0., 0.]]))
        tensor([[5.0000e+00, 1.0000e-06]])
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

    A positive of an anchor has its label and is not the anchor itself
    (:func:`pair_masks`).

    Args:
        dist (Tensor): (N, N) distances.
        labels (Tensor): (N,) labels.

    Returns:
        tuple[Tensor]: ``(hardest_pos_dist, hardest_neg_dist, valid)``, each
        of length N; ``valid`` marks anchors with at least one positive and
        one negative.

    Example:
        >>> dist = torch.tensor([[0., 1., 4.], [1., 0., 2.], [4., 2., 0.]])
        >>> labels = torch.tensor([0, 0, 1])
        >>> pos, neg, valid = hard_example_mining(dist, labels)
        >>> pos[:2].tolist(), neg[:2].tolist(), valid.tolist()
        ([1.0, 1.0], [4.0, 2.0], [True, True, False])
    """
    pos_mask, neg_mask = pair_masks(labels)
    inf = torch.finfo(dist.dtype).max
    hardest_pos = dist.masked_fill(~pos_mask, -inf).max(dim=1).values
    hardest_neg = dist.masked_fill(~neg_mask, inf).min(dim=1).values
    valid = pos_mask.any(dim=1) & neg_mask.any(dim=1)
    return hardest_pos, hardest_neg, valid


def two_hardest_positives(
        dist: torch.Tensor,
        pos_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Indices of the farthest and second-farthest positive of each anchor.

    Ties in distance are broken by the lower sample index (a stable sort).
    For anchors with fewer than two positives the returned indices point to
    non-positives; callers mask those anchors out.

    Args:
        dist (Tensor): (N, N) distances, N >= 2.
        pos_mask (Tensor): (N, N) bool, True where column j is a positive of
            anchor i.

    Returns:
        tuple[Tensor]: ``(p1, p2)``, each (N,) long.

    Example:
        >>> dist = torch.tensor([[0., 2., 3., 1.]]).expand(4, 4)
        >>> pos_mask = torch.tensor([[False, True, True, True]]).expand(4, 4)
        >>> p1, p2 = two_hardest_positives(dist, pos_mask)
        >>> p1[0].item(), p2[0].item()
        (2, 1)
    """
    masked = dist.detach().masked_fill(~pos_mask, -float('inf'))
    order = masked.sort(dim=1, descending=True, stable=True).indices
    return order[:, 0], order[:, 1]
