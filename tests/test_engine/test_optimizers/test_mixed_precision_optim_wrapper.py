"""MixedPrecisionOptimWrapper, and a training step of the tiny IRM in
bfloat16 (CPU autocast) against float32."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, build_optim_wrapper

from mmreid_instruct.engine.optimizers import MixedPrecisionOptimWrapper
from mmreid_instruct.registry import MODELS, OPTIM_WRAPPERS
from mmreid_instruct.utils import register_all_modules
from mmreid_instruct.utils.speed_benchmark import SyntheticBatches

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
TINY_BF16 = osp.join(REPO, 'configs', 'irm',
                     'irm_vit-tiny-bf16_synth-omnireid-tiny.py')
needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason='needs a CUDA device')
cpu_only = pytest.mark.skipif(
    torch.cuda.is_available(), reason='the CPU fallback of a GPU-less host')


@pytest.fixture(scope='module')
def tiny_cfg():
    """The bf16 twin of the tiny IRM with 1-layer ViTs and a small random
    text encoder (its instruction features: a frozen encoder as in the
    config)."""
    register_all_modules()
    cfg = Config.fromfile(TINY_BF16)
    cfg.model.backbone.arch.num_layers = 1
    cfg.model.image_instruction_encoder.backbone.arch.num_layers = 1
    cfg.model.text_encoder = dict(
        type='TextInstructionEncoder',
        frozen=True,
        config=dict(
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64))
    return cfg


@cpu_only
def test_cpu_fallback_is_bfloat16_without_loss_scaling():
    model = torch.nn.Linear(4, 2)
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='MixedPrecisionOptimWrapper',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert isinstance(wrapper, AmpOptimWrapper)
    assert wrapper.cast_dtype == torch.bfloat16
    assert not wrapper.loss_scaler.is_enabled()
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(3, 4))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().pow(2).mean())
    assert not torch.equal(model.weight, before)
    # Checkpoints hold a loss_scaler entry, as AmpOptimWrapper's do.
    state = wrapper.state_dict()
    assert 'loss_scaler' in state
    wrapper.load_state_dict(state)


@cpu_only
def test_cpu_fallback_refuses_float16():
    model = torch.nn.Linear(4, 2)
    with pytest.raises(ValueError, match="only offers bfloat16.*'float16'"):
        MixedPrecisionOptimWrapper(
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            dtype='float16')


def as_float(value):
    return float(torch.as_tensor(value).detach())


def model_and_wrapper(cfg, amp):
    """A fresh model (seed 0) and its optimizer wrapper, mixed precision or
    float32."""
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model)).train()
    optim = copy.deepcopy(cfg.optim_wrapper)
    if not amp:
        optim = dict(optim, type='OptimWrapper')
        optim.pop('dtype')
        optim.pop('loss_scale')
    return model, build_optim_wrapper(model, optim)


@cpu_only
def test_tiny_irm_bf16_steps_are_finite_and_close_to_float32(tiny_cfg):
    fp32_model, fp32_wrapper = model_and_wrapper(tiny_cfg, amp=False)
    bf16_model, bf16_wrapper = model_and_wrapper(tiny_cfg, amp=True)
    assert isinstance(bf16_wrapper, MixedPrecisionOptimWrapper)
    for batch in SyntheticBatches(tiny_cfg.model, batch_size=8).batches:
        task = batch['data_samples'][0].task
        if task not in ('trad', 'ctcc', 't2i'):  # text, image, t2i
            continue
        fp32 = fp32_model.train_step(copy.deepcopy(batch), fp32_wrapper)
        bf16 = bf16_model.train_step(copy.deepcopy(batch), bf16_wrapper)
        assert fp32.keys() == bf16.keys()
        for key, value in bf16.items():
            if key.startswith('loss'):
                value, expected = as_float(value), as_float(fp32[key])
                assert value == value and abs(value) < 1e6, (task, key)
                # bfloat16 keeps 8 bits of mantissa: a few percent.
                assert value == pytest.approx(
                    expected, rel=0.05, abs=0.05), (task, key)
    for (name, a), b in zip(bf16_model.named_parameters(),
                            fp32_model.parameters()):
        assert a.dtype == torch.float32, name  # master weights
        assert torch.isfinite(a).all(), name
        torch.testing.assert_close(a, b, rtol=0.05, atol=0.01)


@needs_cuda
@pytest.mark.parametrize('dtype', ['bfloat16', 'float16'])
def test_tiny_irm_mixed_precision_step_on_cuda(tiny_cfg, dtype):
    if dtype == 'bfloat16' and not torch.cuda.is_bf16_supported():
        pytest.skip('this GPU has no bfloat16')
    cfg = copy.deepcopy(tiny_cfg)
    cfg.optim_wrapper.dtype = dtype
    cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.optim_wrapper.optimizer.fused = True
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model)).cuda().train()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert wrapper.cast_dtype == getattr(torch, dtype)
    for batch in SyntheticBatches(cfg.model, batch_size=16).batches:
        log_vars = model.train_step(batch, wrapper)
        for key, value in log_vars.items():
            assert abs(as_float(value)) < float('inf'), key
    for name, p in model.named_parameters():
        assert p.dtype == torch.float32 and torch.isfinite(p).all(), name
