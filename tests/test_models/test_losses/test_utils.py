import itertools

import pytest
import torch

from mmreid_instruct.models.losses.utils import (euclidean_dist,
                                                 hard_example_mining,
                                                 pair_masks,
                                                 two_hardest_positives)


def test_euclidean_dist_matches_cdist():
    x, y = torch.randn(
        5, 7, dtype=torch.float64), torch.randn(
            3, 7, dtype=torch.float64)
    assert torch.allclose(euclidean_dist(x, y), torch.cdist(x, y))
    for i, j in itertools.product(range(5), range(3)):
        assert euclidean_dist(x, y)[i, j].item() == pytest.approx(
            torch.dist(x[i], y[j]).item())


def test_euclidean_dist_floor_keeps_identical_rows_differentiable():
    x = torch.ones(2, 3, requires_grad=True)
    dist = euclidean_dist(x, x)
    assert torch.allclose(dist, torch.full((2, 2), 1e-6))
    dist.sum().backward()
    assert torch.isfinite(x.grad).all()


def test_pair_masks_against_a_loop():
    labels = torch.tensor([3, 1, 3, 3, 7, 1])
    pos, neg = pair_masks(labels)
    for i, j in itertools.product(range(6), repeat=2):
        same = bool(labels[i] == labels[j])
        assert pos[i, j] == (same and i != j)
        assert neg[i, j] == (not same)


@pytest.mark.parametrize('seed', range(3))
def test_hard_example_mining_against_a_loop(seed):
    gen = torch.Generator().manual_seed(seed)
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 3, 3])
    dist = torch.rand(8, 8, generator=gen, dtype=torch.float64)
    pos, neg, valid = hard_example_mining(dist, labels)
    for a in range(8):
        positives = [
            dist[a, p] for p in range(8) if p != a and labels[p] == labels[a]
        ]
        negatives = [dist[a, n] for n in range(8) if labels[n] != labels[a]]
        assert valid[a] == bool(positives and negatives)
        if positives:
            assert pos[a] == max(positives)
        assert neg[a] == min(negatives)
    assert valid.tolist() == [True] * 5 + [False] + [True] * 2


def test_two_hardest_positives_breaks_ties_by_the_lower_index():
    labels = torch.tensor([0, 0, 0, 0, 1])
    pos_mask, _ = pair_masks(labels)
    dist = torch.tensor([[0., 2., 5., 2., 9.], [2., 0., 1., 1., 9.],
                         [5., 1., 0., 3., 9.], [2., 1., 3., 0., 9.],
                         [9., 9., 9., 9., 0.]])
    p1, p2 = two_hardest_positives(dist, pos_mask)
    # Anchor 0: 5 (sample 2), then a tie at 2 between samples 1 and 3.
    assert (p1[0].item(), p2[0].item()) == (2, 1)
    # Anchor 1: a tie at 1 between samples 2 and 3 comes after sample 0.
    assert (p1[1].item(), p2[1].item()) == (0, 2)
    assert (p1[2].item(), p2[2].item()) == (0, 3)
    # Anchor 4 has no positive: the indices are not positives.
    assert not pos_mask[4, p1[4]] and not pos_mask[4, p2[4]]


def test_two_hardest_positives_does_not_track_gradients():
    dist = torch.rand(4, 4, requires_grad=True)
    pos_mask, _ = pair_masks(torch.tensor([0, 0, 0, 1]))
    p1, p2 = two_hardest_positives(dist, pos_mask)
    assert not p1.requires_grad and p1.dtype == torch.long
