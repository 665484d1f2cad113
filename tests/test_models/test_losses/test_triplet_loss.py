import pytest
import torch

from mmreid_instruct.models.losses import TripletLoss


def direct_batch_hard_triplet(features, labels, margin):
    """Per-anchor loop, the definition written out."""
    losses = []
    n = len(labels)
    for a in range(n):
        pos = [
            torch.dist(features[a], features[p]) for p in range(n)
            if p != a and labels[p] == labels[a]
        ]
        neg = [
            torch.dist(features[a], features[j]) for j in range(n)
            if labels[j] != labels[a]
        ]
        if pos and neg:
            losses.append(torch.clamp(max(pos) - min(neg) + margin, min=0))
    return torch.stack(losses).mean()


@pytest.mark.parametrize('seed', range(5))
def test_matches_direct_per_anchor_computation(seed):
    torch.manual_seed(seed)
    features = torch.randn(12, 8, dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4])
    loss = TripletLoss(margin=0.3)(features, labels)
    expected = direct_batch_hard_triplet(features, labels, 0.3)
    assert torch.allclose(loss, expected, atol=1e-10)


def test_anchor_without_positive_is_left_out():
    features = torch.tensor([[0.], [1.], [5.]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 1])  # sample 2 has no positive
    loss = TripletLoss(margin=0.5)(features, labels)
    # anchors 0 and 1: D(a,p)=1, D(a,n)=5 and 4 -> max(0, 1-5+.5)=0,
    # max(0, 1-4+.5)=0
    assert loss.item() == 0
    features = torch.tensor([[0.], [3.], [1.]], dtype=torch.float64)
    loss = TripletLoss(margin=0.5)(features, labels)
    # anchor 0: 3 - 1 + .5 = 2.5; anchor 1: 3 - 2 + .5 = 1.5
    assert loss.item() == pytest.approx(2.0)


def test_no_valid_anchor_gives_zero_with_gradient():
    features = torch.randn(3, 4, requires_grad=True)
    loss = TripletLoss()(features, torch.tensor([0, 1, 2]))
    loss.backward()
    assert loss.item() == 0
    assert features.grad is not None


def test_loss_weight_and_gradient_finite_for_duplicates():
    features = torch.ones(4, 3, requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1])
    loss = TripletLoss(margin=0.3, loss_weight=2.0)(features, labels)
    assert loss.item() == pytest.approx(0.6, abs=1e-5)
    loss.backward()
    assert torch.isfinite(features.grad).all()
