import math

import pytest
import torch

from mmreid_instruct.models.losses import SoftMaskedLMLoss
from mmreid_instruct.registry import MODELS

B, L, V = 2, 5, 7


def inputs(seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    logits = (torch.randn(B, L, V, generator=g) * 2).to(dtype)
    soft = torch.randn(B, L, V, generator=g).softmax(-1).to(dtype)
    labels = torch.full((B, L), -100)
    labels[0, 1], labels[0, 3], labels[1, 2] = 4, 0, 6
    return logits, labels, soft


def log_softmax_list(values):
    log_z = math.log(sum(math.exp(v) for v in values))
    return [v - log_z for v in values]


def loop_loss(logits, labels, soft, alpha, mode):
    """Per masked position, with scalars: the CE of the label and the
    distillation term; 'positions' normalises each vocabulary entry over the
    sequence axis (the official formula)."""
    x, s = logits.tolist(), soft.tolist()
    ces, distills = [], []
    for b in range(B):
        for t in range(L):
            if labels[b, t] == -100:
                continue
            over_vocab = log_softmax_list(x[b][t])
            ces.append(-over_vocab[labels[b, t]])
            distill = 0.
            for v in range(V):
                if mode == 'vocab':
                    log_p = over_vocab[v]
                else:
                    log_p = log_softmax_list([x[b][u][v] for u in range(L)])[t]
                distill -= s[b][t][v] * log_p
            distills.append(distill)
    ce = sum(ces) / len(ces)
    distill = sum(distills) / len(distills)
    return (1 - alpha) * ce + alpha * distill


def official_formula(logits, labels, soft, alpha):
    """The official code's lines, vectorised as it writes them."""
    ce = torch.nn.functional.cross_entropy(
        logits.view(-1, V), labels.view(-1), ignore_index=-100)
    distill = -torch.sum(torch.log_softmax(logits, dim=1) * soft, dim=-1)
    distill = distill[labels != -100].mean()
    return (1 - alpha) * ce + alpha * distill


@pytest.mark.parametrize('mode', ['vocab', 'positions'])
@pytest.mark.parametrize('alpha', [0., 0.4, 1.])
def test_matches_loop_reference(mode, alpha):
    logits, labels, soft = inputs()
    loss = SoftMaskedLMLoss(alpha=alpha, distill_softmax=mode, loss_weight=2.0)
    expected = 2.0 * loop_loss(logits, labels, soft, alpha, mode)
    assert loss(logits, labels, soft).item() == pytest.approx(
        expected, rel=1e-10)


def test_positions_mode_is_the_official_formula_and_differs():
    logits, labels, soft = inputs(seed=1)
    positions = SoftMaskedLMLoss(distill_softmax='positions')
    vocab = SoftMaskedLMLoss(distill_softmax='vocab')
    official = official_formula(logits, labels, soft, 0.4)
    assert positions(logits, labels, soft).item() == pytest.approx(
        official.item(), rel=1e-12)
    assert abs(vocab(logits, labels, soft).item() - official.item()) > 1e-3


def test_soft_labels_are_not_differentiated_and_no_mask_gives_zero():
    logits, labels, soft = inputs()
    logits.requires_grad_()
    soft.requires_grad_()
    MODELS.build(dict(type='SoftMaskedLMLoss'))(logits, labels,
                                                soft).backward()
    assert soft.grad is None
    # Unmasked positions get no gradient in 'vocab' mode.
    assert logits.grad[labels == -100].abs().max() == 0
    none = torch.full((B, L), -100)
    zero = SoftMaskedLMLoss()(logits, none, soft)
    assert zero.item() == 0 and zero.requires_grad


@pytest.mark.parametrize('mode', ['vocab', 'positions'])
def test_bf16_autocast_returns_fp32_equal_to_fp32(mode):
    logits, labels, soft = inputs(dtype=torch.float32)
    loss = SoftMaskedLMLoss(distill_softmax=mode)
    fp32 = loss(logits, labels, soft)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        mixed = loss(logits, labels, soft)
        from_bf16 = loss(logits.bfloat16(), labels, soft.bfloat16())
    assert mixed.dtype == from_bf16.dtype == torch.float32
    assert mixed.item() == pytest.approx(fp32.item(), rel=1e-6)


def test_errors():
    logits, labels, soft = inputs()
    with pytest.raises(ValueError, match='soft_labels'):
        SoftMaskedLMLoss()(logits, labels, soft[..., :-1])
    with pytest.raises(ValueError, match='labels'):
        SoftMaskedLMLoss()(logits, labels[:, :-1], soft)
    with pytest.raises(ValueError, match='distill_softmax'):
        SoftMaskedLMLoss(distill_softmax='tokens')
    with pytest.raises(ValueError, match='alpha'):
        SoftMaskedLMLoss(alpha=-0.1)
