import math

import pytest
import torch

from mmreid_instruct.models.losses import MomentumContrastiveLoss
from mmreid_instruct.registry import MODELS

DIRECTIONS = ('i2t', 't2i', 'i2i', 't2t')


def loop_loss(sims, momentum_sims, pos_mask, alpha, directions):
    """Per direction, per query row, per key: the cross-entropy with the
    mixed target, written with scalars."""
    per_direction = []
    for d in directions:
        sim, msim = sims[d].tolist(), momentum_sims[d].tolist()
        rows = []
        for i, row in enumerate(sim):
            log_z = math.log(sum(math.exp(s) for s in row))
            m_z = sum(math.exp(s) for s in msim[i])
            num_pos = sum(pos_mask[i].tolist())
            loss = 0.
            for j, s in enumerate(row):
                target = alpha * math.exp(msim[i][j]) / m_z
                if pos_mask[i, j]:
                    target += (1 - alpha) / num_pos
                loss -= target * (s - log_z)
            rows.append(loss)
        per_direction.append(sum(rows) / len(rows))
    return sum(per_direction) / len(per_direction)


def random_inputs(B=4, Q=6, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    sims = {d: torch.randn(B, B + Q, generator=g) * 3 for d in DIRECTIONS}
    msims = {d: torch.randn(B, B + Q, generator=g) * 3 for d in DIRECTIONS}
    pids = torch.tensor([0, 1, 1, 2])
    queue_pids = torch.tensor([1, -100, 2, 5, 0, -100])
    pos = pids[:, None] == torch.cat([pids, queue_pids])[None]
    return ({
        k: v.to(dtype)
        for k, v in sims.items()
    }, {
        k: v.to(dtype)
        for k, v in msims.items()
    }, pos)


@pytest.mark.parametrize('alpha', [0., 0.4, 1.])
@pytest.mark.parametrize('directions', [DIRECTIONS, ('i2t', 't2i')])
def test_matches_loop_reference(alpha, directions):
    sims, msims, pos = random_inputs(dtype=torch.float64)
    loss = MomentumContrastiveLoss(
        alpha=alpha, directions=directions, loss_weight=0.5)
    value = loss(sims, msims, pos)
    expected = 0.5 * loop_loss(sims, msims, pos, alpha, directions)
    assert value.item() == pytest.approx(expected, rel=1e-10)


def test_targets_are_not_differentiated():
    sims, msims, pos = random_inputs()
    sims = {k: v.requires_grad_() for k, v in sims.items()}
    msims = {k: v.requires_grad_() for k, v in msims.items()}
    MODELS.build(dict(type='MomentumContrastiveLoss'))(sims, msims,
                                                       pos).backward()
    assert all(v.grad is not None for v in sims.values())
    assert all(v.grad is None for v in msims.values())
    # Each row's gradient is softmax(sim) - target: it sums to zero.
    grad = sims['i2t'].grad
    assert torch.allclose(grad.sum(1), torch.zeros(4), atol=1e-6)


def test_unused_directions_are_not_required():
    sims, msims, pos = random_inputs()
    loss = MomentumContrastiveLoss(directions=('t2i', ))
    only = {'t2i': sims['t2i']}
    assert loss(only, {'t2i': msims['t2i']}, pos) == loss(sims, msims, pos)


def test_bf16_autocast_returns_fp32_equal_to_fp32():
    sims, msims, pos = random_inputs()
    loss = MomentumContrastiveLoss()
    fp32 = loss(sims, msims, pos)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        mixed = loss(sims, msims, pos)
    assert mixed.dtype == torch.float32
    assert mixed.item() == pytest.approx(fp32.item(), rel=1e-6)
    # bf16 inputs are computed in fp32 too.
    bf16 = ({
        k: v.bfloat16()
        for k, v in sims.items()
    }, {
        k: v.bfloat16()
        for k, v in msims.items()
    })
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert loss(*bf16, pos).dtype == torch.float32


def test_errors():
    sims, msims, pos = random_inputs()
    loss = MomentumContrastiveLoss()
    with pytest.raises(KeyError, match='momentum_sims lacks'):
        loss(sims, {'i2t': msims['i2t']}, pos)
    with pytest.raises(ValueError, match='rows \\[2\\]'):
        no_pos = pos.clone()
        no_pos[2] = False
        loss(sims, msims, no_pos)
    with pytest.raises(ValueError, match='shape of pos_mask'):
        loss(sims, msims, pos[:, :5])
    with pytest.raises(ValueError, match='directions'):
        MomentumContrastiveLoss(directions=('i2x', ))
    with pytest.raises(ValueError, match='alpha'):
        MomentumContrastiveLoss(alpha=1.5)
