from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmreid_instruct.registry import MODELS
from ..utils import fp32_forward
from .utils import euclidean_dist, pair_masks, two_hardest_positives


def pair_cosine(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Cosine similarity between each row ``x[i]`` and ``x[index[i]]``.

    Args:
        x (Tensor): (N, C) vectors.
        index (Tensor): (N,) long.

    Returns:
        Tensor: (N,) similarities.
    """
    normed = F.normalize(x, dim=1)
    return (normed * normed[index]).sum(dim=1)


@MODELS.register_module()
class AdaptiveTripletLoss(nn.Module):
    """Batch-hard triplet whose margins follow instruction similarity.

    The adaptive triplet of Instruct-ReID. With ``D`` the Euclidean distance
    between features and ``s`` the cosine similarity between the instruction
    CLS embeddings (``instr_cls``) of two samples, detached, for every
    anchor ``a`` with hardest positive ``p1`` (largest ``D``),
    second-hardest positive ``p2`` and hardest negative ``n`` (smallest
    ``D``)::

        l1 = max(0, D(a,p1) - D(a,n) + margin * s(a,p1))
        l2 = max(0, sign(d) * (D(a,p1) - D(a,p2)) + margin * |d|),
             d = s(a,p1) - s(a,p2)

    The loss is ``loss_weight * (mean(l1) + second_weight * mean(l2))``;
    ``l1`` is averaged over the anchors with a positive and a negative,
    ``l2`` over those of them with at least two positives. Positives exclude
    the anchor itself. Ties in ``D`` among positives go to the lower sample
    index. Without ``instr_cls``, ``s`` is 1 everywhere, so ``l2`` vanishes
    and the loss is the batch-hard :class:`TripletLoss` with the same
    margin. Design notes: ``docs/en/advanced_guides/irm.md``.

    Args:
        margin (float): The margin ``m``. Defaults to 0.3.
        second_weight (float): Weight of the ``l2`` term. Defaults to 0.1.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        sim_tolerance (float): ``|d|`` at or below this counts as ``d = 0``.
            ``sign(d)`` jumps at 0, so the same instruction encoded at two
            batch positions (equal up to float rounding) would otherwise
            switch ``l2`` on at random. 0 gives the formula literally.
            Defaults to 1e-6.

    Example:
        >>> loss = AdaptiveTripletLoss(margin=0.3)
        >>> features, instr_cls = torch.randn(8, 16), torch.randn(8, 32)
        >>> labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2])
        >>> loss(features, labels, instr_cls).shape
        torch.Size([])
        >>> one_instruction = instr_cls[:1].expand(8, 32)
        >>> torch.allclose(loss(features, labels, one_instruction),
        ...                loss(features, labels))
        True
    """

    def __init__(self,
                 margin: float = 0.3,
                 second_weight: float = 0.1,
                 loss_weight: float = 1.0,
                 sim_tolerance: float = 1e-6):
        super().__init__()
        if sim_tolerance < 0:
            raise ValueError(
                f'sim_tolerance must be >= 0, got {sim_tolerance}')
        self.margin = margin
        self.second_weight = second_weight
        self.loss_weight = loss_weight
        self.sim_tolerance = sim_tolerance

    @fp32_forward
    def forward(self,
                features: torch.Tensor,
                labels: torch.Tensor,
                instr_cls: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            features (Tensor): (N, D) features.
            labels (Tensor): (N,) identity labels.
            instr_cls (Tensor, optional): (N, C) instruction CLS
                embeddings; None means identical instructions (``s = 1``).

        Returns:
            Tensor: The scalar loss (0 when no anchor is valid).
        """
        self._check_inputs(features, labels, instr_cls)
        dist = euclidean_dist(features, features)
        pos_mask, neg_mask = pair_masks(labels)
        num_pos = pos_mask.sum(dim=1)
        valid = (num_pos > 0) & neg_mask.any(dim=1)
        if not valid.any():
            return features.sum() * 0

        p1, p2 = two_hardest_positives(dist, pos_mask)
        rows = torch.arange(len(labels), device=dist.device)
        d_p1, d_p2 = dist[rows, p1], dist[rows, p2]
        d_n = dist.masked_fill(~neg_mask, float('inf')).min(dim=1).values
        s_p1, s_p2 = self._similarities(instr_cls, p1, p2, dist)

        l1 = (d_p1 - d_n + self.margin * s_p1).clamp(min=0)[valid]
        loss = l1.mean()
        two_pos = valid & (num_pos >= 2)
        if two_pos.any():
            delta = s_p1 - s_p2
            delta = delta.masked_fill(delta.abs() <= self.sim_tolerance, 0)
            l2 = (delta.sign() * (d_p1 - d_p2) +
                  self.margin * delta.abs()).clamp(min=0)[two_pos]
            loss = loss + self.second_weight * l2.mean()
        return loss * self.loss_weight

    @staticmethod
    def _similarities(instr_cls: Optional[torch.Tensor], p1: torch.Tensor,
                      p2: torch.Tensor,
                      dist: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``s(a, p1)`` and ``s(a, p2)`` for every anchor, in dist's dtype."""
        if instr_cls is None:
            ones = torch.ones_like(dist[:, 0])
            return ones, ones
        instr = instr_cls.detach()
        return (pair_cosine(instr,
                            p1).to(dist.dtype), pair_cosine(instr,
                                                            p2).to(dist.dtype))

    @staticmethod
    def _check_inputs(features: torch.Tensor, labels: torch.Tensor,
                      instr_cls: Optional[torch.Tensor]) -> None:
        if features.dim() != 2:
            raise ValueError('features must be (N, D), got shape '
                             f'{tuple(features.shape)}')
        if labels.shape != (len(features), ):
            raise ValueError(f'labels must be ({len(features)},) to match '
                             f'features, got shape {tuple(labels.shape)}')
        if instr_cls is not None and (instr_cls.dim() != 2
                                      or len(instr_cls) != len(features)):
            raise ValueError(f'instr_cls must be ({len(features)}, C) to '
                             'match features, got shape '
                             f'{tuple(instr_cls.shape)}')
