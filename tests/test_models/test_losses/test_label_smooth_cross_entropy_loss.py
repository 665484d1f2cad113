import math

import pytest
import torch

from mmreid_instruct.models.losses import LabelSmoothCrossEntropyLoss


def test_matches_smoothed_target_formula():
    torch.manual_seed(0)
    logits = torch.randn(6, 5, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 3, 4, 0])
    eps = 0.1
    loss = LabelSmoothCrossEntropyLoss(label_smoothing=eps)(logits, labels)
    expected = 0.0
    for row, label in zip(logits, labels):
        log_p = row - torch.logsumexp(row, 0)
        target = torch.full((5, ), eps / 5, dtype=torch.float64)
        target[label] += 1 - eps
        expected += -(target * log_p).sum().item()
    assert loss.item() == pytest.approx(expected / 6)


def test_no_smoothing_is_plain_cross_entropy():
    logits = torch.tensor([[0.0, math.log(3.0)]])
    loss = LabelSmoothCrossEntropyLoss(label_smoothing=0.0, loss_weight=2.0)
    assert loss(logits,
                torch.tensor([1])).item() == pytest.approx(-2 * math.log(0.75))


def test_invalid_smoothing():
    with pytest.raises(ValueError, match='label_smoothing'):
        LabelSmoothCrossEntropyLoss(label_smoothing=1.0)
