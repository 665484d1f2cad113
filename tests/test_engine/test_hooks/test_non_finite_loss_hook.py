"""Training stops (or skips the step) on a non-finite loss and never saves
non-finite weights."""
import os

import pytest
import torch

from mmreid_instruct.engine import (NonFiniteLossHook, ReIDRunner,
                                    load_checkpoint_file)
from mmreid_instruct.utils import register_all_modules

register_all_modules()


def runner_with_nan_at_iteration_3(cfg, hook_cfg=None):
    """A runner whose first loss term is NaN at iteration 3 (``iter`` 2)."""
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=1, max_keep_ckpts=1)
    if hook_cfg is not None:
        cfg.custom_hooks = [
            hook
            for hook in cfg.custom_hooks if hook['type'] != 'NonFiniteLossHook'
        ] + [hook_cfg]
    cfg.experiment_name = f'nan_{abs(hash(cfg.work_dir))}'
    runner = ReIDRunner.from_cfg(cfg)
    head = runner.model.head
    loss = head.loss

    def nan_loss(*args, **kwargs):
        losses = loss(*args, **kwargs)
        if runner.iter == 2:
            name = sorted(k for k in losses if 'loss' in k)[0]
            losses[name] = losses[name] * float('nan')
        return losses

    head.loss = nan_loss
    return runner


def finite(path):
    return all(
        torch.isfinite(v).all()
        for v in load_checkpoint_file(str(path))['state_dict'].values()
        if v.is_floating_point())


@pytest.mark.slow
def test_training_stops_at_a_nan_loss_and_keeps_the_good_checkpoint(
        synth_tiny_root, tmp_path, small_baseline_cfg):
    cfg = small_baseline_cfg(synth_tiny_root, tmp_path, max_iters=4)
    runner = runner_with_nan_at_iteration_3(cfg)
    with pytest.raises(FloatingPointError, match=r'Iteration 3: .*loss_\w+'):
        runner.train()
    assert sorted(f for f in os.listdir(tmp_path)
                  if f.endswith('.pth')) == ['iter_2.pth']
    assert finite(tmp_path / 'iter_2.pth')


@pytest.mark.slow
def test_skip_action_skips_the_step_and_goes_on(synth_tiny_root, tmp_path,
                                                small_baseline_cfg):
    cfg = small_baseline_cfg(synth_tiny_root, tmp_path, max_iters=4)
    runner = runner_with_nan_at_iteration_3(
        cfg, dict(type='NonFiniteLossHook', action='skip'))
    runner.train()
    hook = next(h for h in runner.hooks if isinstance(h, NonFiniteLossHook))
    assert hook.num_skipped == 1
    assert finite(tmp_path / 'iter_4.pth')


def test_non_finite_weights_are_never_saved():
    hook = NonFiniteLossHook()
    runner = type('Runner', (), {'iter': 7})()
    weights = {'w': torch.tensor([1.0, float('inf')]), 'n': torch.tensor([1])}
    with pytest.raises(FloatingPointError, match='Iteration 7.*w'):
        hook.before_save_checkpoint(runner, {'state_dict': weights})
    hook.before_save_checkpoint(runner, {'state_dict': {'w': torch.ones(2)}})


def test_unknown_action_is_an_error():
    with pytest.raises(ValueError, match="action='ignore'"):
        NonFiniteLossHook(action='ignore')
