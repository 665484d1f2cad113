"""FLOP counting of mmreid_instruct.utils.speed_benchmark against direct
computations."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmreid_instruct.utils.speed_benchmark import (count_flops, flops_by_task,
                                                   ratios)

FUSED_CPU_ATTENTION = getattr(torch.ops.aten,
                              '_scaled_dot_product_flash_attention_for_cpu',
                              None)


def attention_inputs(requires_grad=False):
    # Different query and key lengths (the fused CPU kernel needs one head
    # width for q, k and v).
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(2, 3, 5, 8, generator=gen)
    k = torch.randn(2, 3, 7, 8, generator=gen)
    v = torch.randn(2, 3, 7, 8, generator=gen)
    return [t.requires_grad_(requires_grad) for t in (q, k, v)]


def math_attention(q, k, v):
    weights = torch.softmax(q @ k.transpose(-2, -1) / q.size(-1)**0.5, -1)
    return weights @ v


def test_linear_forward_and_backward():
    layer = nn.Linear(8, 4)
    x = torch.randn(3, 8)
    assert count_flops(lambda: layer(x)) == 2 * 3 * 8 * 4
    # Backward without an input gradient: the weight gradient only.
    assert count_flops(lambda: layer(x).sum().backward()) == 2 * 2 * 3 * 8 * 4
    x.requires_grad_()
    assert count_flops(lambda: layer(x).sum().backward()) == 3 * 2 * 3 * 8 * 4


def test_mean_over_steps():
    layer = nn.Linear(8, 4)
    sizes = iter([1, 3])
    assert count_flops(lambda: layer(torch.randn(next(sizes), 8)),
                       2) == (2 * 2 * 8 * 4)


@pytest.mark.skipif(
    FUSED_CPU_ATTENTION is None, reason='no fused CPU attention kernel')
def test_fused_cpu_attention_counts_like_its_matrix_products():
    q, k, v = attention_inputs()
    direct = 2 * 2 * 3 * 5 * 7 * (8 + 8)  # q k^T and (weights) v
    assert count_flops(lambda: FUSED_CPU_ATTENTION(q, k, v)) == direct
    assert count_flops(lambda: math_attention(q, k, v)) == direct
    assert count_flops(
        lambda: F.scaled_dot_product_attention(q, k, v)) == direct


@pytest.mark.skipif(
    FUSED_CPU_ATTENTION is None, reason='no fused CPU attention kernel')
def test_fused_cpu_attention_backward_counts_like_the_reference():
    fused = count_flops(lambda: F.scaled_dot_product_attention(
        *attention_inputs(requires_grad=True)).sum().backward())
    reference = count_flops(lambda: math_attention(*attention_inputs(
        requires_grad=True)).sum().backward())
    assert fused == reference == 3 * 2 * 2 * 3 * 5 * 7 * (8 + 8)


def test_ratios_pair_rounds_and_compare_flops():
    results = dict(
        model=dict(round_step_s=[3., 8.], gflops_per_img=6.),
        plain_vit=dict(round_step_s=[2., 4.], gflops_per_img=4.),
        compare=dict(round_step_s=[1., 4.], gflops_per_img=3.))
    out = ratios(results)
    # Per-round ratios 1.5 and 2 (plain ViT), 3 and 2 (compare): medians.
    assert out == pytest.approx(
        dict(
            ratio_to_plain_vit=1 / 1.75,
            step_time_ratio_to_compare=2.5,
            flops_ratio_to_plain_vit=1.5,
            flops_ratio_to_compare=2.0))
    del results['compare'], results['model']['gflops_per_img']
    assert set(ratios(results)) == {'ratio_to_plain_vit'}


def test_flops_by_task_follows_the_lists_in_turn():
    tasks = ['trad', 'cc', 'trad', 't2i']
    # Two rounds from list 3 on: t2i, trad, cc, trad, t2i, trad, cc, trad.
    counts = [8., 1., 4., 2., 10., 3., 6., 4.]
    assert flops_by_task(
        counts, tasks, first=7) == dict(
            cc=5., t2i=9., trad=2.5)
