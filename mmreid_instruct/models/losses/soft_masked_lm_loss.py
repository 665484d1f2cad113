import torch
import torch.nn as nn
import torch.nn.functional as F

from mmreid_instruct.registry import MODELS
from ..utils import fp32_forward
from ..utils.token_masking import IGNORE_INDEX


@MODELS.register_module()
class SoftMaskedLMLoss(nn.Module):
    """Masked language modelling loss with soft labels (ALBEF's momentum
    distillation).

    Over the masked positions (``labels != -100``):
    ``loss = (1 - alpha) * CE(logits, labels) + alpha * distill``, both
    averaged over the masked positions, where ``distill`` at a position is
    ``-sum_v soft[v] * log_p[v]``:

    - ``distill_softmax='vocab'``: ``log_p = log_softmax(logits)`` over the
      vocabulary, the distillation the method intends;
    - ``distill_softmax='positions'``: ``log_p`` is the log-softmax of the
      (B, L, V) logits over the sequence axis, as the official code computes
      it (needed to reproduce it).

    Without any masked position the loss is 0. Computed in float32 under
    mixed precision.

    Args:
        alpha (float): Weight of the distillation, in [0, 1]. Defaults to
            0.4.
        distill_softmax (str): ``'vocab'`` or ``'positions'``, see above.
            Defaults to ``'vocab'``.
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Example:
        >>> loss = SoftMaskedLMLoss(alpha=0.5)
        >>> logits = torch.zeros(1, 2, 4)  # uniform predictions
        >>> labels = torch.tensor([[-100, 3]])
        >>> soft = torch.full((1, 2, 4), 0.25)
        >>> loss(logits, labels, soft)  # CE and distillation are both log 4
        tensor(1.3863)
    """

    def __init__(self,
                 alpha: float = 0.4,
                 distill_softmax: str = 'vocab',
                 loss_weight: float = 1.0):
        super().__init__()
        if not 0 <= alpha <= 1:
            raise ValueError(f'alpha must be in [0, 1], got {alpha}')
        if distill_softmax not in ('vocab', 'positions'):
            raise ValueError("distill_softmax must be 'vocab' or "
                             f"'positions', got {distill_softmax!r}")
        self.alpha = alpha
        self.distill_softmax = distill_softmax
        self.loss_weight = loss_weight

    @fp32_forward
    def forward(self, logits: torch.Tensor, labels: torch.Tensor,
                soft_labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): (B, L, V) vocabulary logits.
            labels (Tensor): (B, L) target ids, -100 where not masked.
            soft_labels (Tensor): (B, L, V) target distributions (e.g. the
                softmax of the momentum model's logits); not differentiated.

        Returns:
            Tensor: The scalar weighted loss.
        """
        if logits.dim() != 3 or soft_labels.shape != logits.shape or \
                labels.shape != logits.shape[:2]:
            raise ValueError(
                'SoftMaskedLMLoss.forward: expected logits (B, L, V), labels '
                '(B, L) and soft_labels (B, L, V), got '
                f'{tuple(logits.shape)}, {tuple(labels.shape)} and '
                f'{tuple(soft_labels.shape)}')
        masked = labels != IGNORE_INDEX
        num_masked = masked.sum()
        if num_masked == 0:
            return logits.sum() * 0.
        ce = F.cross_entropy(
            logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)
        dim = 2 if self.distill_softmax == 'vocab' else 1
        distill = -(logits.log_softmax(dim=dim) *
                    soft_labels.detach()).sum(dim=-1)
        distill = distill[masked].mean()
        loss = (1 - self.alpha) * ce + self.alpha * distill
        return loss * self.loss_weight
