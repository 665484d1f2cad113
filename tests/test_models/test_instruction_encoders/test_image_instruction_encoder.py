import pytest
import torch

from mmreid_instruct.models.instruction_encoders import ImageInstructionEncoder
from mmreid_instruct.registry import MODELS


def tiny_backbone(**kwargs):
    return dict(
        type='mmpretrain.VisionTransformer',
        arch=dict(
            embed_dims=32, num_layers=1, num_heads=2, feedforward_channels=64),
        img_size=128,
        patch_size=16,
        out_type='raw',
        **kwargs)


def test_tokens_at_128x128_with_the_cls_token_first():
    torch.manual_seed(0)
    enc = MODELS.build(
        dict(type='ImageInstructionEncoder', backbone=tiny_backbone()))
    enc.init_weights()
    enc.eval()
    images = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        out = enc(images)
    assert enc.embed_dims == 32
    assert out['tokens'].shape == (2, 1 + 8 * 8, 32)
    assert out['mask'].shape == (2, 65) and out['mask'].all()
    assert out['mask'].dtype == torch.bool
    assert torch.equal(out['cls'], out['tokens'][:, 0])
    # Position 0 is what the same ViT returns as its CLS token.
    enc.backbone.out_type = 'cls_token'
    with torch.no_grad():
        cls = enc.backbone(images)[-1]
    assert torch.equal(out['cls'], cls)


def test_default_is_vit_b16_at_128():
    enc = ImageInstructionEncoder()
    assert enc.embed_dims == 768
    assert enc.backbone.patch_resolution == (8, 8)
    assert enc.backbone.out_type == 'raw'


def test_backbone_without_tokens_is_a_clear_error():
    enc = ImageInstructionEncoder(
        backbone=dict(tiny_backbone(), out_type='cls_token'))
    with pytest.raises(ValueError, match="out_type='raw'"):
        enc(torch.randn(1, 3, 128, 128))


def test_frozen_and_trainable():
    enc = ImageInstructionEncoder(backbone=tiny_backbone(), frozen=True)
    enc.train()
    assert not enc.backbone.training
    assert not any(p.requires_grad for p in enc.parameters())
    assert not enc(torch.randn(1, 3, 128, 128))['tokens'].requires_grad

    enc = ImageInstructionEncoder(backbone=tiny_backbone()).train()
    enc(torch.randn(2, 3, 128, 128))['cls'].pow(2).sum().backward()
    assert enc.backbone.patch_embed.projection.weight.grad.abs().sum() > 0
