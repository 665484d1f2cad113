from typing import Dict, Sequence

import torch
import torch.nn as nn

from mmreid_instruct.registry import MODELS
from ..utils import fp32_forward

DIRECTIONS = ('i2t', 't2i', 'i2i', 't2t')


@fp32_forward
def distilled_contrastive_loss(sim: torch.Tensor, momentum_sim: torch.Tensor,
                               pos_mask: torch.Tensor,
                               alpha: float) -> torch.Tensor:
    """One direction of :class:`MomentumContrastiveLoss`.

    Args:
        sim (Tensor): (B, K) logits.
        momentum_sim (Tensor): (B, K) momentum logits.
        pos_mask (Tensor): (B, K) bool, True for the positives; every row
            needs one.
        alpha (float): Weight of the momentum distribution in the target.

    Returns:
        Tensor: The scalar loss, in float32 under mixed precision.
    """
    with torch.no_grad():
        pos = pos_mask.to(sim.dtype)
        targets = alpha * momentum_sim.softmax(dim=1) + \
            (1 - alpha) * pos / pos.sum(dim=1, keepdim=True)
    return -(sim.log_softmax(dim=1) * targets).sum(dim=1).mean()


@MODELS.register_module()
class MomentumContrastiveLoss(nn.Module):
    """ALBEF's image-text contrastive loss with momentum distillation.

    For each direction (``'i2t'``: image queries against text keys, etc.)
    the logits ``sim`` (B, K) compare B queries with K keys (the batch and
    a queue). The target of row i is
    ``alpha * softmax(momentum_sim[i]) + (1 - alpha) * pos[i] / sum(pos[i])``
    (under no_grad), where ``pos`` marks the keys of the query's identity,
    and the loss of a direction is the mean over rows of
    ``-sum_j target[i, j] * log_softmax(sim[i])[j]``. The loss is the mean
    over the directions, times ``loss_weight``; computed in float32 under
    mixed precision.

    Args:
        alpha (float): Weight of the momentum distribution in the targets,
            in [0, 1]. Defaults to 0.4.
        directions (Sequence[str]): Directions averaged, among
            ``'i2t', 't2i', 'i2i', 't2t'``. Defaults to all four.
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Example:
        >>> loss = MomentumContrastiveLoss(alpha=0., directions=('i2t', ))
        >>> sims = {'i2t': torch.tensor([[0., 0.], [0., 0.]])}
        >>> pos = torch.eye(2, dtype=torch.bool)
        >>> loss(sims, sims, pos)  # log 2: uniform logits, one positive
        tensor(0.6931)
    """

    def __init__(self,
                 alpha: float = 0.4,
                 directions: Sequence[str] = DIRECTIONS,
                 loss_weight: float = 1.0):
        super().__init__()
        if not 0 <= alpha <= 1:
            raise ValueError(f'alpha must be in [0, 1], got {alpha}')
        directions = tuple(directions)
        unknown = [d for d in directions if d not in DIRECTIONS]
        if unknown or not directions:
            raise ValueError(f'directions must be a non-empty subset of '
                             f'{DIRECTIONS}, got {directions}')
        self.alpha = alpha
        self.directions = directions
        self.loss_weight = loss_weight

    def forward(self, sims: Dict[str, torch.Tensor],
                momentum_sims: Dict[str, torch.Tensor],
                pos_mask: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            sims (dict[str, Tensor]): Direction -> (B, B + Q) logits
                (similarities divided by the temperature). Directions not
                in ``self.directions`` are not used.
            momentum_sims (dict[str, Tensor]): The same from the momentum
                features; not differentiated.
            pos_mask (Tensor): (B, B + Q) bool, True where the key has the
                query's identity; every row needs one.

        Returns:
            Tensor: The scalar weighted loss.
        """
        for name, given in (('sims', sims), ('momentum_sims', momentum_sims)):
            missing = [d for d in self.directions if d not in given]
            if missing:
                raise KeyError(f'MomentumContrastiveLoss.forward: {name} '
                               f'lacks the directions {missing}')
        if pos_mask.dim() != 2:
            raise ValueError('MomentumContrastiveLoss.forward: pos_mask must '
                             f'be (B, K), got {tuple(pos_mask.shape)}')
        pos_mask = pos_mask.bool()
        empty = ~pos_mask.any(dim=1)
        if empty.any():
            raise ValueError('MomentumContrastiveLoss.forward: every row of '
                             'pos_mask needs a positive; rows '
                             f'{empty.nonzero()[:, 0].tolist()} have none')
        losses = []
        for direction in self.directions:
            sim, momentum_sim = sims[direction], momentum_sims[direction]
            if sim.shape != pos_mask.shape or \
                    momentum_sim.shape != pos_mask.shape:
                raise ValueError(
                    f'MomentumContrastiveLoss.forward: sims[{direction!r}] '
                    f'{tuple(sim.shape)} and momentum_sims[{direction!r}] '
                    f'{tuple(momentum_sim.shape)} must have the shape of '
                    f'pos_mask {tuple(pos_mask.shape)}')
            losses.append(
                distilled_contrastive_loss(sim, momentum_sim, pos_mask,
                                           self.alpha))
        return torch.stack(losses).mean() * self.loss_weight
