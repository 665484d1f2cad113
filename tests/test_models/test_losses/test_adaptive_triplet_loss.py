import pytest
import torch

from mmreid_instruct.models.losses import AdaptiveTripletLoss, TripletLoss
from mmreid_instruct.registry import MODELS

# ids 1 and 4 have one positive each, id 3 none, ids 0 and 2 several.
LABELS = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 4, 4])


def cosine(x, y):
    return (torch.dot(x, y) / (x.norm() * y.norm())).item()


def direct_adaptive_triplet(features,
                            labels,
                            instructions,
                            margin,
                            second_weight,
                            tolerance=1e-6):
    """Per-anchor loop, the definition written out.

    Positives are ranked by decreasing distance, ties to the lower index.
    """
    n = len(labels)

    def s(a, b):
        return 1.0 if instructions is None else cosine(instructions[a],
                                                       instructions[b])

    l1s, l2s = [], []
    for a in range(n):
        pos = [p for p in range(n) if p != a and labels[p] == labels[a]]
        neg = [j for j in range(n) if labels[j] != labels[a]]
        if not pos or not neg:
            continue
        dist = {j: torch.dist(features[a], features[j]) for j in range(n)}
        pos.sort(key=lambda p: (-dist[p].item(), p))
        p1 = pos[0]
        d_n = min(dist[j] for j in neg)
        l1s.append(torch.clamp(dist[p1] - d_n + margin * s(a, p1), min=0))
        if len(pos) >= 2:
            p2 = pos[1]
            delta = s(a, p1) - s(a, p2)
            if abs(delta) <= tolerance:
                delta = 0.0
            sign = (delta > 0) - (delta < 0)
            l2s.append(
                torch.clamp(
                    sign * (dist[p1] - dist[p2]) + margin * abs(delta), min=0))
    loss = torch.stack(l1s).mean()
    if l2s:
        loss = loss + second_weight * torch.stack(l2s).mean()
    return loss


@pytest.mark.parametrize('seed', range(5))
def test_matches_direct_per_anchor_computation(seed):
    torch.manual_seed(seed)
    features = torch.randn(12, 8, dtype=torch.float64)
    instructions = torch.randn(12, 6, dtype=torch.float64)
    instructions[6] = instructions[5]  # some pairs with delta exactly 0
    loss = AdaptiveTripletLoss(
        margin=0.3, second_weight=0.1)(
            features, LABELS, instr_cls=instructions)
    expected = direct_adaptive_triplet(features, LABELS, instructions, 0.3,
                                       0.1)
    assert torch.allclose(loss, expected, atol=1e-10)


@pytest.mark.parametrize('seed', range(3))
def test_large_second_weight_matches_direct_computation(seed):
    torch.manual_seed(seed)
    features = torch.randn(12, 4, dtype=torch.float64)
    instructions = torch.randn(12, 3, dtype=torch.float64)
    loss = AdaptiveTripletLoss(
        margin=0.7, second_weight=2.0, loss_weight=1.5)(features, LABELS,
                                                        instructions)
    expected = 1.5 * direct_adaptive_triplet(features, LABELS, instructions,
                                             0.7, 2.0)
    assert torch.allclose(loss, expected, atol=1e-10)


@pytest.mark.parametrize('seed', range(5))
def test_without_instructions_equals_batch_hard_triplet_exactly(seed):
    torch.manual_seed(seed)
    features = torch.randn(12, 8)
    for margin in (0.3, 1.0):
        loss = AdaptiveTripletLoss(margin=margin)(features, LABELS)
        assert torch.equal(loss, TripletLoss(margin=margin)(features, LABELS))


@pytest.mark.parametrize('seed', range(3))
def test_identical_instructions_equal_batch_hard_triplet(seed):
    torch.manual_seed(seed)
    features = torch.randn(12, 8, dtype=torch.float64)
    instructions = torch.randn(1, 6, dtype=torch.float64).expand(12, 6)
    loss = AdaptiveTripletLoss(margin=0.3)(features, LABELS, instructions)
    assert torch.allclose(
        loss, TripletLoss(margin=0.3)(features, LABELS), atol=1e-12)


def test_instructions_equal_up_to_rounding_do_not_switch_on_l2():
    # Positives 1 and 2 of anchor 0 are at distances 2 and 1; their
    # instructions differ from the anchor's by an angle of 1e-4 rad at most,
    # i.e. s differs from 1 by 5e-9: noise, not a different instruction.
    features = torch.tensor([[0.], [2.], [1.], [10.]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1])
    instructions = torch.tensor([[1., 0.], [1., 0.], [1., 1e-4], [1., 0.]],
                                dtype=torch.float64)
    triplet = TripletLoss(margin=0.3)(features, labels)
    assert triplet.item() == 0
    loss = AdaptiveTripletLoss(margin=0.3)(features, labels, instructions)
    assert loss.item() == pytest.approx(0, abs=1e-12)
    # Literally, sign(5e-9) = 1 turns on l2 = D(a,p1) - D(a,p2) = 1 for
    # anchors 0 and 1 (anchor 2 has tied s): 0.1 * (1 + 1 + 0) / 3.
    literal = AdaptiveTripletLoss(
        margin=0.3, sim_tolerance=0)(features, labels, instructions)
    assert literal.item() == pytest.approx(0.2 / 3)


def test_tied_positives_go_to_lower_index():
    # Anchor 0 sits at equal distance 1 from its positives 1 and 2, so p1 = 1
    # (s = 1) and p2 = 2 (s = 0); the negative 3 is at 1.2.
    features = torch.tensor([[0.], [1.], [-1.], [1.2]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1])
    instructions = torch.tensor([[1., 0.], [1., 0.], [0., 1.], [1., 1.]],
                                dtype=torch.float64)
    loss = AdaptiveTripletLoss(
        margin=0.3, second_weight=0.1)(features, labels, instructions)
    # l1: anchor 0: 1 - 1.2 + .3 = .1; anchor 1 (p1=2, s=0, n at .2): 1.8;
    # anchor 2 (p1=1, s=0, n at 2.2): 0. l2: anchor 0: delta=1 -> .3;
    # anchor 1: delta=-1 -> max(0, -(2-1) + .3) = 0; anchor 2: delta=0 -> 0.
    assert loss.item() == pytest.approx(1.9 / 3 + 0.1 * 0.3 / 3)
    expected = direct_adaptive_triplet(features, labels, instructions, 0.3,
                                       0.1)
    assert loss.item() == pytest.approx(expected.item())


def test_anchors_with_one_positive_contribute_to_l1_only():
    torch.manual_seed(0)
    features = torch.randn(6, 5, dtype=torch.float64)
    instructions = torch.randn(6, 4, dtype=torch.float64)
    # identity 0 anchors have one positive; identity 1 anchors have two
    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    with_l2 = AdaptiveTripletLoss(second_weight=1.0)(features, labels,
                                                     instructions)
    without_l2 = AdaptiveTripletLoss(second_weight=0.0)(features, labels,
                                                        instructions)
    only_id1 = direct_adaptive_triplet(
        features[2:], labels[2:], instructions[2:], 0.3, 1.0) - \
        direct_adaptive_triplet(features[2:], labels[2:], instructions[2:],
                                0.3, 0.0)
    # note: the l2 terms of identity 1 depend on its own samples only
    assert (with_l2 - without_l2).item() == pytest.approx(only_id1.item())
    assert only_id1.item() > 0

    pairs = torch.tensor([0, 0, 1, 1, 2, 2])  # one positive for everyone
    assert torch.equal(
        AdaptiveTripletLoss(second_weight=5.0)(features, pairs, instructions),
        AdaptiveTripletLoss(second_weight=0.0)(features, pairs, instructions))


def test_gradient_reaches_features_not_instructions():
    torch.manual_seed(0)
    features = torch.randn(12, 8, requires_grad=True)
    instructions = torch.randn(12, 6, requires_grad=True)
    loss = AdaptiveTripletLoss(margin=1.0)(features, LABELS, instructions)
    loss.backward()
    assert loss.item() > 0
    assert features.grad.abs().sum() > 0
    assert instructions.grad is None


def test_no_valid_anchor_gives_zero_with_gradient():
    features = torch.randn(3, 4, requires_grad=True)
    loss = AdaptiveTripletLoss()(features, torch.tensor([0, 1, 2]),
                                 torch.randn(3, 2))
    loss.backward()
    assert loss.item() == 0
    assert features.grad is not None
    # a single identity: positives but no negative
    assert AdaptiveTripletLoss()(torch.randn(4, 2), torch.zeros(4)) == 0


def test_duplicate_features_give_finite_gradient():
    features = torch.ones(6, 3, requires_grad=True)
    loss = AdaptiveTripletLoss()(features, torch.tensor([0, 0, 0, 1, 1, 1]),
                                 torch.randn(6, 4))
    loss.backward()
    assert torch.isfinite(features.grad).all()


def test_mismatched_inputs_raise():
    loss = AdaptiveTripletLoss()
    with pytest.raises(ValueError, match='labels'):
        loss(torch.randn(4, 3), torch.tensor([0, 0, 1]))
    with pytest.raises(ValueError, match='instr_cls'):
        loss(torch.randn(4, 3), torch.tensor([0, 0, 1, 1]), torch.randn(3, 5))
    with pytest.raises(ValueError, match='instr_cls'):
        loss(torch.randn(4, 3), torch.tensor([0, 0, 1, 1]), torch.randn(4))
    with pytest.raises(ValueError, match='features'):
        loss(torch.randn(4), torch.tensor([0, 0, 1, 1]))
    with pytest.raises(ValueError, match='sim_tolerance'):
        AdaptiveTripletLoss(sim_tolerance=-1)


def test_builds_from_registry():
    loss = MODELS.build(
        dict(type='AdaptiveTripletLoss', margin=0.5, second_weight=0.2))
    assert isinstance(loss, AdaptiveTripletLoss)
    assert (loss.margin, loss.second_weight) == (0.5, 0.2)
