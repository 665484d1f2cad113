import pytest
import torch
import torch.nn as nn

from mmreid_instruct.evaluation.metrics.utils import sample_to_result
from mmreid_instruct.models.losses import (AdaptiveTripletLoss,
                                           IdentityContrastiveLoss,
                                           LabelSmoothCrossEntropyLoss,
                                           TripletLoss, euclidean_dist)
from mmreid_instruct.models.necks import BNNeck
from mmreid_instruct.models.utils import fp32_forward


def test_fp32_forward_casts_low_precision_and_turns_autocast_off():
    seen = {}

    @fp32_forward
    def f(x, y, labels, scale=None):
        seen.update(
            x=x.dtype,
            y=y.dtype,
            labels=labels.dtype,
            scale=scale.dtype,
            autocast=torch.is_autocast_enabled('cpu'))
        return x @ y.t()

    x = torch.randn(3, 4, dtype=torch.bfloat16, requires_grad=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = f(
            x,
            torch.randn(2, 4, dtype=torch.float64).float().half(),
            torch.tensor([1, 2]),
            scale=torch.ones(1, dtype=torch.float64))
    assert seen == dict(
        x=torch.float32,
        y=torch.float32,
        labels=torch.int64,
        scale=torch.float64,
        autocast=False)
    assert out.dtype == torch.float32
    out.sum().backward()
    assert x.grad.dtype == torch.bfloat16  # the input's own dtype


def test_euclidean_dist_does_not_overflow_in_float16():
    x = torch.full((2, 512), 300.)  # squared norm 4.6e7 > 65,504
    x[1] += 1.
    half = x.half()
    # What a float16 sum of squares gives:
    assert torch.isinf(half.pow(2).sum(1)).all()
    with torch.autocast('cpu', dtype=torch.float16):
        dist = euclidean_dist(half, half)
    assert dist.dtype == torch.float32 and torch.isfinite(dist).all()
    torch.testing.assert_close(dist, euclidean_dist(x, x), rtol=0, atol=0.05)


@pytest.mark.parametrize('loss, args', [
    (TripletLoss(), ('feat', 'labels')),
    (AdaptiveTripletLoss(), ('feat', 'labels', 'instr')),
    (LabelSmoothCrossEntropyLoss(label_smoothing=0.1), ('logits', 'labels')),
    (IdentityContrastiveLoss(), ('feat', 'text', 'labels')),
])
def test_losses_are_float32_under_autocast(loss, args):
    torch.manual_seed(0)
    values = dict(
        feat=torch.randn(8, 16) * 30,
        text=torch.randn(8, 16),
        instr=torch.randn(8, 16),
        logits=torch.randn(8, 5) * 30,
        labels=torch.tensor([0, 0, 1, 1, 2, 2, 3, 3]))
    inputs = [values[a] for a in args]
    low = [v.bfloat16() if v.is_floating_point() else v for v in inputs]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        amp = loss(*low)
    # Equal to the float32 loss of the same (bf16-rounded) inputs.
    reference = loss(*[v.float() if v.is_floating_point() else v for v in low])
    assert amp.dtype == torch.float32
    assert torch.equal(amp, reference)


def test_bn_neck_runs_in_float32_under_autocast():
    torch.manual_seed(0)
    neck, reference = BNNeck(8).train(), BNNeck(8).train()
    x = (torch.randn(16, 8) * 100).bfloat16()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = neck(nn.Identity()(x))
    assert out.dtype == torch.float32
    assert neck.bn.running_var.dtype == torch.float32
    assert torch.equal(out, reference(x.float()))
    assert torch.equal(neck.bn.running_var, reference.bn.running_var)


def test_metric_keeps_bfloat16_features_as_float32():
    feat = torch.tensor([1.5, -2.25], dtype=torch.bfloat16)
    result = sample_to_result(dict(pred_feature=feat, pid=1, subset='query'))
    assert result['feat'].dtype == torch.float32
    assert result['feat'].tolist() == [1.5, -2.25]
