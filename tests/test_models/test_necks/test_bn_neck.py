import torch

from mmreid_instruct.models.necks import BNNeck
from mmreid_instruct.registry import MODELS


def features(n=16, c=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, c, generator=gen) * 3 + 5


def test_builds_from_the_registry_with_the_feature_shape():
    neck = MODELS.build(dict(type='BNNeck', in_channels=4))
    assert isinstance(neck, BNNeck)
    assert neck(features()).shape == (16, 4)
    assert neck.bn.num_features == 4


def test_train_mode_normalises_with_the_batch_statistics():
    neck = BNNeck(4).train()
    x = features()
    out = neck(x)
    mean = x.mean(0)
    var = x.var(0, unbiased=False)
    expected = (x - mean) / torch.sqrt(var + neck.bn.eps)
    assert torch.allclose(out, expected, atol=1e-5)
    assert torch.allclose(out.mean(0), torch.zeros(4), atol=1e-5)
    # The running statistics move from (0, 1) by the momentum (0.1), the
    # variance unbiased.
    momentum = neck.bn.momentum
    assert torch.allclose(neck.bn.running_mean, momentum * mean, atol=1e-6)
    assert torch.allclose(
        neck.bn.running_var,
        (1 - momentum) + momentum * x.var(0, unbiased=True),
        atol=1e-5)


def test_eval_mode_uses_the_running_statistics():
    neck = BNNeck(4)
    neck.bn.running_mean.copy_(torch.tensor([1., 2., 3., 4.]))
    neck.bn.running_var.copy_(torch.tensor([1., 4., 9., 16.]))
    neck.eval()
    x = features()
    before = neck.bn.running_mean.clone()
    out = neck(x)
    expected = (x - neck.bn.running_mean) / torch.sqrt(neck.bn.running_var +
                                                       neck.bn.eps)
    assert torch.allclose(out, expected, atol=1e-6)
    assert torch.equal(neck.bn.running_mean, before)
    # Row i depends on row i only: one sample at a time gives the same.
    assert torch.allclose(neck(x[:1]), out[:1], atol=1e-6)


def test_bias_is_frozen_at_zero_and_the_scale_is_trained():
    neck = BNNeck(4).train()
    assert torch.equal(neck.bn.weight, torch.ones(4))
    assert torch.equal(neck.bn.bias, torch.zeros(4))
    assert neck.bn.weight.requires_grad
    assert not neck.bn.bias.requires_grad
    trainable = [
        name for name, p in neck.named_parameters() if p.requires_grad
    ]
    assert trainable == ['bn.weight']
    x = features().requires_grad_()
    (neck(x) * torch.arange(4.)).pow(2).sum().backward()
    assert neck.bn.weight.grad is not None
    assert neck.bn.weight.grad.abs().sum() > 0
    assert neck.bn.bias.grad is None
    assert x.grad.abs().sum() > 0
