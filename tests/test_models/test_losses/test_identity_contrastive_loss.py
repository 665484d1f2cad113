import math

import pytest
import torch
import torch.nn.functional as F

from mmreid_instruct.models.losses import IdentityContrastiveLoss
from mmreid_instruct.registry import MODELS


def cosine(x, y):
    return torch.dot(x, y) / (x.norm() * y.norm())


def direct_one_direction(queries, keys, labels, temperature):
    """Mean over query rows of -mean over same-identity keys of log p."""
    losses = []
    for i, q in enumerate(queries):
        row = torch.stack([cosine(q, k) for k in keys]) / temperature
        log_p = row - torch.logsumexp(row, 0)
        pos = [j for j in range(len(keys)) if labels[j] == labels[i]]
        losses.append(-log_p[pos].mean())
    return torch.stack(losses).mean()


def direct_identity_contrastive(image, text, labels, temperature):
    return (direct_one_direction(image, text, labels, temperature) +
            direct_one_direction(text, image, labels, temperature)) / 2


@pytest.mark.parametrize('seed', range(4))
def test_matches_direct_per_row_computation(seed):
    torch.manual_seed(seed)
    image = torch.randn(10, 16, dtype=torch.float64)
    text = torch.randn(10, 16, dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])
    for temperature in (0.07, 0.5):
        loss = IdentityContrastiveLoss(
            temperature=temperature, loss_weight=2.0)(image, text, labels)
        expected = 2.0 * direct_identity_contrastive(image, text, labels,
                                                     temperature)
        assert loss.item() == pytest.approx(expected.item(), rel=1e-9)


@pytest.mark.parametrize('seed', range(3))
def test_unique_identities_give_clip_loss(seed):
    torch.manual_seed(seed)
    image = torch.randn(8, 12, dtype=torch.float64)
    text = torch.randn(8, 12, dtype=torch.float64)
    logits = F.normalize(image, dim=1) @ F.normalize(text, dim=1).t() / 0.07
    diagonal = torch.arange(8)
    clip = (F.cross_entropy(logits, diagonal) +
            F.cross_entropy(logits.t(), diagonal)) / 2
    loss = IdentityContrastiveLoss()(image, text, torch.arange(8) * 3)
    assert loss.item() == pytest.approx(clip.item(), rel=1e-9)


def test_same_identity_is_not_a_negative():
    # one identity, identical embeddings: every column equally likely,
    # every column a target -> cross-entropy of a uniform with itself
    embeds = torch.ones(5, 4)
    loss = IdentityContrastiveLoss()(embeds, embeds, torch.zeros(5))
    assert loss.item() == pytest.approx(math.log(5))


def test_symmetric_in_the_modalities():
    torch.manual_seed(0)
    image, text = torch.randn(
        9, 8, dtype=torch.float64), torch.randn(
            9, 8, dtype=torch.float64)
    labels = torch.tensor([4, 4, 1, 1, 1, 7, 2, 2, 0])
    loss = IdentityContrastiveLoss()
    assert loss(image, text, labels).item() == pytest.approx(
        loss(text, image, labels).item(), rel=1e-12)


def test_gradient_reaches_both_modalities_and_learnable_temperature():
    torch.manual_seed(0)
    image = torch.randn(6, 8, requires_grad=True)
    text = torch.randn(6, 8, requires_grad=True)
    loss_fn = IdentityContrastiveLoss(
        temperature=0.1, learnable_temperature=True)
    assert [name
            for name, _ in loss_fn.named_parameters()] == ['log_temperature']
    assert loss_fn.temperature.item() == pytest.approx(0.1)
    loss_fn(image, text, torch.tensor([0, 0, 1, 1, 2, 2])).backward()
    assert image.grad.abs().sum() > 0
    assert text.grad.abs().sum() > 0
    assert loss_fn.log_temperature.grad.abs() > 0


def test_learnable_temperature_matches_direct_computation():
    torch.manual_seed(0)
    image, text = torch.randn(6, 8), torch.randn(6, 8)
    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    loss = IdentityContrastiveLoss(
        temperature=0.1, learnable_temperature=True)(image, text, labels)
    expected = direct_identity_contrastive(image.double(), text.double(),
                                           labels, 0.1)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_fixed_temperature_is_not_a_parameter():
    loss_fn = IdentityContrastiveLoss(temperature=0.2)
    assert list(loss_fn.parameters()) == []
    assert loss_fn.state_dict() == {}
    assert loss_fn.temperature.item() == pytest.approx(0.2)


def test_invalid_inputs_raise():
    loss = IdentityContrastiveLoss()
    with pytest.raises(ValueError, match='text_embeds'):
        loss(torch.randn(4, 3), torch.randn(4, 5), torch.arange(4))
    with pytest.raises(ValueError, match='text_embeds'):
        loss(torch.randn(4, 3), torch.randn(3, 3), torch.arange(4))
    with pytest.raises(ValueError, match='labels'):
        loss(torch.randn(4, 3), torch.randn(4, 3), torch.arange(3))
    with pytest.raises(ValueError, match='image_embeds'):
        loss(torch.randn(4), torch.randn(4), torch.arange(4))
    with pytest.raises(ValueError, match='temperature'):
        IdentityContrastiveLoss(temperature=0)


def test_builds_from_registry():
    loss = MODELS.build(
        dict(
            type='IdentityContrastiveLoss',
            temperature=0.05,
            learnable_temperature=True))
    assert isinstance(loss, IdentityContrastiveLoss)
    assert loss.temperature.item() == pytest.approx(0.05)
