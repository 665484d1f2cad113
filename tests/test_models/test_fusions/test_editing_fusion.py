import pytest
import torch

from mmreid_instruct.models.fusions import EditingFusion
from mmreid_instruct.registry import MODELS

B, N, L = 3, 6, 7  # batch, image patches, instruction tokens after CLS


def fusion(**kwargs):
    torch.manual_seed(0)
    cfg = dict(type='EditingFusion', img_dims=32, instr_dims=16, num_heads=4)
    model = MODELS.build(dict(cfg, **kwargs))
    model.init_weights()
    return model.eval()


def inputs(lengths=(8, 5, 2)):
    """Image tokens, instruction tokens and a mask with the given numbers of
    real instruction tokens (CLS included), the rest padding."""
    torch.manual_seed(1)
    img = torch.randn(B, 1 + N, 32)
    instr = torch.randn(B, 1 + L, 16)
    mask = torch.arange(1 + L)[None] < torch.tensor(lengths)[:, None]
    return img, instr, mask


def test_shapes():
    img, instr, mask = inputs()
    u, v = fusion()(img, instr, mask)
    assert u.shape == v.shape == (B, 32)
    u, v = fusion(embed_dims=24, num_heads=2)(img, instr, mask)
    assert u.shape == v.shape == (B, 24)


def test_padding_is_ignored():
    model = fusion()
    img, instr, mask = inputs()
    u, v = model(img, instr, mask)

    # New values at the padded positions.
    changed = torch.where(mask[..., None], instr, torch.randn_like(instr))
    u2, v2 = model(img, changed, mask)
    assert torch.allclose(u2, u, atol=1e-6)
    assert torch.allclose(v2, v, atol=1e-6)

    # The same under no_grad, where torch may take its fast attention path.
    with torch.no_grad():
        u1, _ = model(img, changed, mask)
    assert torch.allclose(u1, u, atol=1e-6)

    # More padding.
    longer = torch.cat([instr, torch.randn(B, 4, 16)], dim=1)
    longer_mask = torch.cat([mask, torch.zeros(B, 4, dtype=torch.bool)], 1)
    u3, v3 = model(img, longer, longer_mask)
    assert torch.allclose(u3, u, atol=1e-6)
    assert torch.allclose(v3, v, atol=1e-6)

    # The same as no padding at all: sample 2 has 2 real tokens.
    u4, v4 = model(img[2:], instr[2:, :2])
    assert torch.allclose(u4[0], u[2], atol=1e-6)
    assert torch.allclose(v4[0], v[2], atol=1e-6)

    # Without the mask the padded values leak into u (the official code's
    # bug); v never sees the instruction's other tokens.
    u5, v5 = model(img, instr)
    u6, v6 = model(img, changed)
    assert (u6 - u5)[1:].abs().amax(1).min() > 1e-3
    assert torch.allclose(v6, v5, atol=1e-6)


def test_each_output_reads_the_right_tokens():
    """u: image CLS + instruction tokens without CLS; v: instruction CLS +
    image patches. Gradients show which inputs each one depends on."""
    model = fusion()
    img, instr, mask = inputs()
    for name in ('u', 'v'):
        img_in = img.clone().requires_grad_()
        instr_in = instr.clone().requires_grad_()
        u, v = model(img_in, instr_in, mask)
        (u if name == 'u' else v).pow(2).sum().backward()
        img_grad = img_in.grad.abs().sum(-1)  # (B, 1 + N)
        instr_grad = instr_in.grad.abs().sum(-1)  # (B, 1 + L)
        if name == 'u':
            assert (img_grad[:, 0] > 0).all()
            assert (img_grad[:, 1:] == 0).all()
            assert (instr_grad[:, 0] == 0).all()
            real = mask.clone()
            real[:, 0] = False
            assert (instr_grad[real] > 0).all()
            assert (instr_grad[~mask] == 0).all()
        else:
            assert (img_grad[:, 0] == 0).all()
            assert (img_grad[:, 1:] > 0).all()
            assert (instr_grad[:, 0] > 0).all()
            assert (instr_grad[:, 1:] == 0).all()


def test_gradient_reaches_every_parameter_of_both_branches():
    model = fusion(share_blocks=False).train()
    img, instr, mask = inputs()
    u, v = model(img, instr, mask)
    (u.pow(2).sum() + v.pow(2).sum()).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_shared_blocks_and_their_parameter_count():
    shared = EditingFusion(img_dims=768, instr_dims=768)
    separate = EditingFusion(img_dims=768, instr_dims=768, share_blocks=False)

    def count(m):
        return sum(p.numel() for p in m.parameters())

    # As docs/en/advanced_guides/irm.md says: 7.09M per block, 2 blocks.
    assert count(shared.blocks[0]) == 7_087_872
    assert count(shared) == 2 * 7_087_872
    assert count(separate) == 4 * 7_087_872
    assert shared.v_blocks is None


def test_clear_errors():
    model = fusion()
    img, instr, mask = inputs()
    with pytest.raises(ValueError, match='instr_mask'):
        model(img, instr, mask.long())
    with pytest.raises(ValueError, match='instr_tokens'):
        model(img, instr[..., :8], mask)
    with pytest.raises(ValueError, match='img_tokens'):
        model(img[..., :8], instr, mask)
    with pytest.raises(ValueError, match='num_heads=5'):
        EditingFusion(img_dims=32, instr_dims=16, num_heads=5)
