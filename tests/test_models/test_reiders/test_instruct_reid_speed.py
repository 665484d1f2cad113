"""Speed paths of InstructReID: fused attention (PyTorch's
scaled_dot_product_attention) in every attention, and instruction
features that are cached without changing the outputs."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.utils.attention import MultiheadAttention
from torch.profiler import ProfilerActivity, profile

from mmreid_instruct.registry import MODELS
from mmreid_instruct.utils import register_all_modules
from mmreid_instruct.utils.speed_benchmark import SyntheticBatches

register_all_modules()

VIT = dict(
    type='mmpretrain.VisionTransformer',
    arch=dict(
        embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
    patch_size=8,
    out_type='raw')
MODEL = dict(
    type='InstructReID',
    backbone=dict(VIT, img_size=(32, 16)),
    text_encoder=dict(
        type='TextInstructionEncoder',
        frozen=True,
        config=dict(
            hidden_size=16,
            num_hidden_layers=3,
            num_attention_heads=2,
            intermediate_size=32)),
    image_instruction_encoder=dict(
        type='ImageInstructionEncoder', backbone=dict(VIT, img_size=16)),
    fusion=dict(type='EditingFusion', num_heads=2),
    head=dict(
        type='InstructReIDHead',
        num_classes={
            'market/trad': 4,
            'ltcc/ctcc': 4,
            'cuhk/li': 4
        }),
    t2i_head=dict(type='T2IHead', embed_dims=16))


def count_sdpa(fn, *args):
    """Calls of the fused attention op (ATen's scaled_dot_product_attention)
    while ``fn(*args)`` runs."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn(*args)
    return sum(e.name == 'aten::scaled_dot_product_attention'
               for e in prof.events())


def build(**text_encoder):
    torch.manual_seed(0)
    cfg = copy.deepcopy(MODEL)
    cfg['text_encoder'].update(text_encoder)
    return MODELS.build(cfg)


def test_every_attention_is_fused():
    model = build().train()
    # mmpretrain's MultiheadAttention calls F.scaled_dot_product_attention
    # (without a qk_scale, which would select its Python reference).
    for encoder in (model.backbone, model.image_instruction_encoder):
        attns = [
            m for m in encoder.modules() if isinstance(m, MultiheadAttention)
        ]
        assert len(attns) == 2
        for attn in attns:
            assert attn.scaled_dot_product_attention is \
                F.scaled_dot_product_attention
    assert count_sdpa(model.backbone, torch.randn(2, 3, 32, 16)) == 2
    assert count_sdpa(model.image_instruction_encoder,
                      torch.randn(2, 3, 16, 16)) == 2
    # The Hugging Face BERT: one fused call per layer.
    assert count_sdpa(model.text_encoder, ['ignore clothes', 'a red coat']) \
        == 3
    # The editing fusion (torch.nn.MultiheadAttention without weights).
    tokens = torch.randn(2, 9, 32)
    instr = torch.randn(2, 5, model.fusion.instr_dims)
    mask = torch.ones(2, 5, dtype=torch.bool)
    assert count_sdpa(model.fusion, tokens, instr, mask) >= 2
    # An explicit softmax would show as such.
    assert count_sdpa(torch.softmax, tokens, -1) == 0


def test_cached_instruction_features_equal_encoding_every_time():
    cached, uncached = build(), build(cache_size=0)
    uncached.load_state_dict(cached.state_dict())
    cached.eval(), uncached.eval()
    batches = SyntheticBatches(MODEL, batch_size=8).batches
    with torch.no_grad():
        for _ in range(2):  # the second pass reads the cache
            for batch in batches:
                a = cached.test_step(copy.deepcopy(batch))
                b = uncached.test_step(copy.deepcopy(batch))
                for x, y in zip(a, b):
                    assert torch.equal(x.pred_feature, y.pred_feature)
    assert len(cached.text_encoder.cache) > 0
    assert len(uncached.text_encoder.cache) == 0


def test_training_with_a_frozen_encoder_equals_no_cache():
    cached, uncached = build(), build(cache_size=0)
    uncached.load_state_dict(cached.state_dict())
    batch = SyntheticBatches(MODEL, batch_size=8).batches[0]  # trad
    for _ in range(2):
        losses = []
        for model in (cached, uncached):
            model.train()
            data = model.data_preprocessor(copy.deepcopy(batch), True)
            loss = model(**data, mode='loss')
            sum(v for k, v in loss.items() if 'loss' in k).backward()
            losses.append(loss)
        for key in losses[0]:
            assert torch.equal(losses[0][key], losses[1][key]), key
        for a, b in zip(cached.parameters(), uncached.parameters()):
            if a.grad is not None:
                assert torch.equal(a.grad, b.grad)


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='needs a CUDA device')
def test_fused_attention_on_cuda_in_bf16():
    model = build().cuda().train()
    with torch.autocast('cuda', dtype=torch.bfloat16):
        assert count_sdpa(model.backbone,
                          torch.randn(2, 3, 32, 16, device='cuda')) == 2
        out = model.text_encoder(['ignore clothes', 'a red coat'])
    assert torch.isfinite(out['tokens']).all()
