import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.backbones.vision_transformer import \
    TransformerEncoderLayer

from mmreid_instruct.models.fusions import EditingFusion
from mmreid_instruct.models.fusions.editing_fusion import (EditingFusionBlock,
                                                           run_vit_layer)
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


def test_mask_padding_false_attends_to_all_positions():
    """The official behaviour: the padded positions are ordinary keys."""
    model = fusion(mask_padding=False)
    img, instr, mask = inputs()
    u, v = model(img, instr, mask)

    # Reference: the blocks run on the full sequences without any mask.
    with torch.no_grad():
        instr_p = model.instr_proj(instr)
    x_u = torch.cat([img[:, :1], instr_p[:, 1:]], 1)
    x_v = torch.cat([instr_p[:, :1], img[:, 1:]], 1)
    for block in model.blocks:
        h = block.norm1(x_u)
        weights = torch.softmax(
            attention_scores(block.attn, h), dim=-1)  # no mask
        x_u = x_u + out_projection(block.attn, weights, h)
        x_u = x_u + block.ffn(block.norm2(x_u))
        x_v = block(x_v)
    assert torch.allclose(u, x_u[:, 0], atol=1e-5)
    assert torch.allclose(v, x_v[:, 0], atol=1e-6)

    # The padding now changes u; masking (the default) would not.
    changed = torch.where(mask[..., None], instr, torch.randn_like(instr))
    assert (model(img, changed, mask)[0] - u)[1:].abs().amax(1).min() > 1e-3
    masked = fusion()
    assert torch.allclose(
        masked(img, changed, mask)[0], masked(img, instr, mask)[0], atol=1e-6)


def attention_scores(attn, h):
    """(B, heads, L, L) scaled q.k of an nn.MultiheadAttention."""
    B, L, C = h.shape
    heads = attn.num_heads
    q, k, _ = F.linear(h, attn.in_proj_weight, attn.in_proj_bias).chunk(3, -1)
    q = q.reshape(B, L, heads, -1).transpose(1, 2)
    k = k.reshape(B, L, heads, -1).transpose(1, 2)
    return q @ k.transpose(-1, -2) / (C // heads)**0.5


def out_projection(attn, weights, h):
    B, L, C = h.shape
    _, _, v = F.linear(h, attn.in_proj_weight, attn.in_proj_bias).chunk(3, -1)
    v = v.reshape(B, L, attn.num_heads, -1).transpose(1, 2)
    return attn.out_proj((weights @ v).transpose(1, 2).reshape(B, L, C))


def vit_layers(n=3, width=32, heads=4):
    torch.manual_seed(3)
    layers = nn.ModuleList(
        TransformerEncoderLayer(
            width, heads, 2 * width, norm_cfg=dict(type='LN', eps=1e-6))
        for _ in range(n))
    with torch.no_grad():
        for p in layers.parameters():
            p.normal_(0, 0.2)
    return layers.eval()


def copy_vit_layer_to_block(layer, block):
    """The key mapping of docs/en/user_guides/official_checkpoints.md:
    norm1 = ln1, in_proj = qkv, out_proj = proj, ffn.0 / ffn.3 = fc1 / fc2."""
    with torch.no_grad():
        block.norm1.load_state_dict(layer.ln1.state_dict())
        block.norm2.load_state_dict(layer.ln2.state_dict())
        block.attn.in_proj_weight.copy_(layer.attn.qkv.weight)
        block.attn.in_proj_bias.copy_(layer.attn.qkv.bias)
        block.attn.out_proj.load_state_dict(layer.attn.proj.state_dict())
        block.ffn[0].load_state_dict(layer.ffn.layers[0][0].state_dict())
        block.ffn[3].load_state_dict(layer.ffn.layers[1].state_dict())


def test_fusion_block_equals_vit_layer_with_and_without_mask():
    """Our EditingFusionBlock with a ViT block's weights computes that block
    (qkv packing, LN eps 1e-6, GELU); run_vit_layer masks like it."""
    layer = vit_layers(1)[0]
    block = EditingFusionBlock(32, 4, 64).eval()
    copy_vit_layer_to_block(layer, block)
    x = torch.randn(3, 9, 32)
    assert torch.allclose(block(x), layer(x), atol=1e-5)
    assert torch.equal(run_vit_layer(layer, x, None), layer(x))
    padding = torch.arange(9)[None] >= torch.tensor([9, 5, 2])[:, None]
    assert torch.allclose(
        run_vit_layer(layer, x, padding), block(x, padding), atol=1e-5)
    # Masked keys are ignored: sample 2 equals its 2 real tokens alone.
    assert torch.allclose(
        run_vit_layer(layer, x, padding)[2, :2],
        layer(x[2:, :2])[0],
        atol=1e-5)


def tied_fusion(mask_padding=False, blocks=(0, 2)):
    model = EditingFusion(
        img_dims=32,
        instr_dims=16,
        num_heads=4,
        mask_padding=mask_padding,
        tie_to_backbone_blocks=blocks)
    model.init_weights()
    model.eval()
    return model


def test_tied_blocks_run_the_backbone_weights():
    layers = vit_layers()
    model = tied_fusion()
    model.tie_blocks(layers)
    img, instr, mask = inputs()
    u, v = model(img, instr, mask)

    instr_p = model.instr_proj(instr)
    x_u = torch.cat([img[:, :1], instr_p[:, 1:]], 1)
    x_v = torch.cat([instr_p[:, :1], img[:, 1:]], 1)
    for i in (0, 2):  # in the given order, no mask (mask_padding=False)
        x_u, x_v = layers[i](x_u), layers[i](x_v)
    assert torch.allclose(u, x_u[:, 0], atol=1e-6)
    assert torch.allclose(v, x_v[:, 0], atol=1e-6)

    # The fusion owns no block tensors; a backbone weight drives it.
    names = [n for n, _ in model.named_parameters()]
    assert not any('blocks' in n for n in names)
    assert not any('blocks' in k for k in model.state_dict())
    with torch.no_grad():
        layers[2].ffn.layers[1].weight.add_(0.5)
    u2, v2 = model(img, instr, mask)
    assert (u2 - u).abs().max() > 1e-3 and (v2 - v).abs().max() > 1e-3
    with torch.no_grad():
        layers[1].ffn.layers[1].weight.add_(0.5)  # not tied: no effect
    assert torch.equal(model(img, instr, mask)[0], u2)


def test_tied_blocks_with_masked_padding():
    layers = vit_layers()
    model = tied_fusion(mask_padding=True)
    model.tie_blocks(layers)
    img, instr, mask = inputs()
    u, _ = model(img, instr, mask)
    # Sample 2 (2 real tokens) equals encoding it without padding.
    u_alone, _ = model(img[2:], instr[2:, :2])
    assert torch.allclose(u[2], u_alone[0], atol=1e-5)


def build_irm(tie=True):
    vit = dict(
        type='PASSVisionTransformer',
        out_type='raw',
        arch=dict(
            embed_dims=32, num_layers=3, num_heads=4, feedforward_channels=64),
        img_size=(32, 16),
        patch_size=8)
    bert = dict(
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32)
    fusion_cfg = dict(type='EditingFusion', num_heads=4, mask_padding=False)
    if tie:
        fusion_cfg['tie_to_backbone_blocks'] = (0, 2)
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='InstructReID',
            backbone=vit,
            text_encoder=dict(type='TextInstructionEncoder', config=bert),
            fusion=fusion_cfg,
            head=dict(type='InstructReIDHead', num_classes=4)))


def test_instruct_reid_ties_at_build_and_trains_the_backbone_blocks():
    from mmreid_instruct.structures import ReIDDataSample
    model = build_irm()
    assert model.fusion.active_blocks()[1] is model.backbone.layers[2]
    clone = copy.deepcopy(model)  # e.g. an EMA copy: tied to its own blocks
    assert clone.fusion.active_blocks()[1] is clone.backbone.layers[2]
    keys = list(model.state_dict())
    assert not any(k.startswith('fusion.blocks') for k in keys)
    names = [n for n, _ in model.named_parameters()]
    assert len(names) == len(set(names))
    params = list(model.parameters())
    assert len(params) == len({id(p) for p in params})

    # Training: the gradient of u alone reaches the tied blocks.
    samples = [
        ReIDDataSample().set_task('trad').set_instruction('red coat')
        for _ in range(2)
    ]
    _, u, _ = model(torch.randn(2, 3, 32, 16), samples, mode='tensor')
    model.zero_grad()
    u.sum().backward()
    tied = model.backbone.layers[2].attn.qkv.weight.grad
    assert tied is not None and tied.abs().sum() > 0

    # A state dict of the untied model has fusion blocks the tied one lacks.
    untied_keys = set(build_irm(tie=False).state_dict())
    assert {k for k in untied_keys if k.startswith('fusion.blocks.')}
    model.load_state_dict(model.state_dict(), strict=True)


def test_tie_errors():
    with pytest.raises(ValueError, match='num_layers=3 contradicts'):
        EditingFusion(
            32, 16, num_heads=4, num_layers=3, tie_to_backbone_blocks=(0, 11))
    with pytest.raises(ValueError, match='share_blocks'):
        EditingFusion(
            32,
            16,
            num_heads=4,
            share_blocks=False,
            tie_to_backbone_blocks=(0, 11))
    model = tied_fusion()
    img, instr, mask = inputs()
    with pytest.raises(RuntimeError, match='not tied yet'):
        model(img, instr, mask)
    with pytest.raises(IndexError, match='block 2 does not exist'):
        model.tie_blocks(vit_layers(2))
    with pytest.raises(ValueError, match='16 wide'):
        model.tie_blocks(vit_layers(3, width=16))
    with pytest.raises(TypeError, match="list of blocks"):
        model.tie_blocks(None)


def test_first_only_block_computes_position_zero():
    """first_only returns (B, 1, C): the full block's position 0, with and
    without a key padding mask, for our block and a ViT block."""
    block = EditingFusionBlock(32, 4, 64).eval()
    layer = vit_layers(1)[0]
    layer_without_qkv_bias = TransformerEncoderLayer(
        32, 4, 64, qkv_bias=False).eval()
    x = torch.randn(3, 9, 32)
    padding = torch.arange(9)[None] >= torch.tensor([9, 5, 2])[:, None]
    for mask in (None, padding):
        first = block(x, mask, first_only=True)
        assert first.shape == (3, 1, 32)
        assert torch.allclose(first, block(x, mask)[:, :1], atol=1e-6)
        for vit_layer in (layer, layer_without_qkv_bias):
            first = run_vit_layer(vit_layer, x, mask, first_only=True)
            assert first.shape == (3, 1, 32)
            assert torch.allclose(
                first, run_vit_layer(vit_layer, x, mask)[:, :1], atol=1e-6)


@pytest.mark.parametrize('tie', [False, True])
@pytest.mark.parametrize('mask_padding', [False, True])
def test_last_block_cls_only_gives_the_same_outputs_and_gradients(
        tie, mask_padding):
    kwargs = dict(mask_padding=mask_padding)
    if tie:
        kwargs['tie_to_backbone_blocks'] = (0, 2)
    models = [
        fusion(last_block_cls_only=cls_only, **kwargs)
        for cls_only in (False, True)
    ]
    layers = vit_layers()
    if tie:
        for model in models:
            model.tie_blocks(layers)
    assert models[1].state_dict().keys() == models[0].state_dict().keys()
    models[1].load_state_dict(models[0].state_dict())
    img, instr, mask = inputs()
    outputs, grads = [], []
    for model in models:
        model.train()  # dropout is 0: train mode is deterministic
        img_in = img.clone().requires_grad_()
        u, v = model(img_in, instr, mask)
        (u.square().sum() + v.sin().sum()).backward()
        params = list(model.parameters())
        if tie:
            params += list(layers[0].parameters()) + list(
                layers[2].parameters())
        grads.append([img_in.grad] + [p.grad.clone() for p in params])
        outputs.append((u, v))
        for p in params:
            p.grad = None
    for full, cls_only in zip(outputs[0], outputs[1]):
        assert torch.allclose(cls_only, full, atol=1e-5)
    for full, cls_only in zip(*grads):
        assert torch.allclose(cls_only, full, atol=1e-5)
    assert grads[0][0].abs().sum() > 0
