import torch
import torch.nn as nn
import torch.nn.functional as F

from mmreid_instruct.registry import MODELS
from ..utils import fp32_forward


@MODELS.register_module()
class LabelSmoothCrossEntropyLoss(nn.Module):
    """Cross-entropy with label smoothing, for identity classification.

    The target distribution puts ``1 - label_smoothing`` on the true class
    plus ``label_smoothing / num_classes`` on every class.

    Args:
        label_smoothing (float): Smoothing factor in [0, 1). Defaults to
            0.1.
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Example:
        >>> loss = LabelSmoothCrossEntropyLoss(label_smoothing=0.1)
        >>> loss(torch.zeros(4, 10), torch.tensor([1, 2, 3, 4]))  # log(10)
        tensor(2.3026)
    """

    def __init__(self, label_smoothing: float = 0.1, loss_weight: float = 1.0):
        super().__init__()
        if not 0 <= label_smoothing < 1:
            raise ValueError('label_smoothing must be in [0, 1), got '
                             f'{label_smoothing}')
        self.label_smoothing = label_smoothing
        self.loss_weight = loss_weight

    @fp32_forward
    def forward(self, logits: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): (N, C) class scores.
            labels (Tensor): (N,) class indices.

        Returns:
            Tensor: The scalar mean loss.
        """
        return F.cross_entropy(
            logits, labels,
            label_smoothing=self.label_smoothing) * self.loss_weight
