import pytest
import torch
from mmpretrain.models.backbones import VisionTransformer

from mmreid_instruct.models.backbones import PASSVisionTransformer
from mmreid_instruct.registry import MODELS

ARCH = dict(embed_dims=16, num_layers=2, num_heads=2, feedforward_channels=32)
KW = dict(arch=ARCH, img_size=(32, 16), patch_size=8, out_type='raw')


def randomized(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.2)
    model.eval()
    return model


def test_zero_part_tokens_is_mmpretrain_vit():
    ours = randomized(PASSVisionTransformer(num_part_tokens=0, **KW))
    vit = VisionTransformer(**KW)
    vit.eval()
    assert list(ours.state_dict()) == list(vit.state_dict())
    vit.load_state_dict(ours.state_dict())
    x = torch.randn(2, 3, 32, 16)
    assert torch.equal(ours(x)[-1], vit(x)[-1])


def reference_forward(model, x):
    """CLS, parts and patches with their position embeddings, the
    layers, the final LN, the parts removed: written out from the
    parameters."""
    B = x.shape[0]
    patches = model.patch_embed.projection(x).flatten(2).transpose(1, 2)
    pos = model.pos_embed
    tokens = torch.cat([
        model.cls_token.expand(B, -1, -1) + pos[:, :1],
        model.part_tokens.expand(B, -1, -1) + model.part_pos_embed,
        patches + pos[:, 1:],
    ], 1)
    for layer in model.layers:
        tokens = layer(tokens)
    tokens = model.ln1(tokens)
    P = model.part_tokens.shape[1]
    return torch.cat([tokens[:, :1], tokens[:, 1 + P:]], 1)


def test_part_tokens_take_part_and_are_dropped():
    model = randomized(MODELS.build(dict(type='PASSVisionTransformer', **KW)))
    x = torch.randn(2, 3, 32, 16)
    out = model(x)[-1]
    assert out.shape == (2, 1 + 8, 16)
    assert torch.allclose(out, reference_forward(model, x), atol=1e-6)
    # The part tokens change the output (they are in the attention).
    with torch.no_grad():
        model.part_tokens.add_(torch.randn_like(model.part_tokens))
    assert (model(x)[-1] - out).abs().max() > 1e-3


def test_other_out_types_and_indices():
    model = randomized(
        PASSVisionTransformer(
            **dict(KW, out_type='cls_token', out_indices=(0, 1))))
    x = torch.randn(2, 3, 32, 16)
    first, last = model(x)
    assert first.shape == last.shape == (2, 16)
    raw = randomized(PASSVisionTransformer(**KW))
    raw.load_state_dict(model.state_dict())
    assert torch.allclose(last, raw(x)[-1][:, 0], atol=1e-6)
    featmap = PASSVisionTransformer(**dict(KW, out_type='featmap'))
    featmap.load_state_dict(model.state_dict())
    featmap.eval()
    assert featmap(x)[-1].shape == (2, 16, 4, 2)


def test_random_init_and_errors():
    model = PASSVisionTransformer(**KW)
    model.init_weights()
    assert model.part_tokens.std() > 0 and model.part_pos_embed.std() > 0
    with pytest.raises(ValueError, match='num_part_tokens'):
        PASSVisionTransformer(num_part_tokens=-1, **KW)
    with pytest.raises(ValueError, match='with_cls_token'):
        PASSVisionTransformer(with_cls_token=False, **KW)
