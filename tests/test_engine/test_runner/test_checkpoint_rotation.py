"""No lost checkpoints: rotation deletes old files only after the new one is
saved; ``--resume`` falls back to a loadable checkpoint, cleans up partial
saves and says clearly when there is nothing to resume or the checkpoint
is of another model."""
import logging
import os

import pytest
import torch

from mmreid_instruct.engine import CheckpointMismatchError, ReIDRunner
from mmreid_instruct.utils import register_all_modules

register_all_modules()


class Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def build(cfg, name, resume=False, **checkpoint):
    cfg = cfg.copy()
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=1, **checkpoint)
    cfg.experiment_name = f'{name}_{abs(hash(cfg.work_dir))}'
    cfg.resume = resume
    cfg.load_from = None
    runner = ReIDRunner.from_cfg(cfg)
    records = Records()
    runner.logger.addHandler(records)
    return runner, records


@pytest.fixture
def killed_during_third_save(synth_tiny_root, tmp_path, monkeypatch,
                             small_baseline_cfg):
    """A run with max_keep_ckpts=1 whose save at iteration 3 fails half
    way; returns the config and the work dir."""
    cfg = small_baseline_cfg(synth_tiny_root, tmp_path, max_iters=3)
    runner, _ = build(cfg, 'killed', max_keep_ckpts=1)
    save, calls = torch.save, []

    def failing_third_save(obj, f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            f.write(b'partial')
            raise OSError('killed')
        return save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, 'save', failing_third_save)
    with pytest.raises(OSError, match='killed'):
        runner.train()
    monkeypatch.setattr(torch, 'save', save)
    return cfg, tmp_path


@pytest.mark.slow
def test_rotation_keeps_the_old_checkpoint_until_the_new_one_is_saved(
        killed_during_third_save):
    _, work_dir = killed_during_third_save
    assert (work_dir / 'iter_2.pth').is_file()
    last = (work_dir / 'last_checkpoint').read_text().strip()
    assert os.path.isfile(last) and last.endswith('iter_2.pth')


@pytest.mark.slow
def test_resume_falls_back_to_a_loadable_checkpoint_and_removes_tmp(
        killed_during_third_save):
    cfg, work_dir = killed_during_third_save
    if not (work_dir / 'iter_2.pth').is_file():
        pytest.fail('iter_2.pth was deleted before iter_3.pth was saved')
    # last_checkpoint names a truncated file.
    data = (work_dir / 'iter_2.pth').read_bytes()
    (work_dir / 'iter_3.pth').write_bytes(data[:len(data) // 2])
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_3.pth'))
    # A save killed after it began to write.
    (work_dir / '.iter_3.pth.tmp').write_bytes(data[:100])
    runner, records = build(cfg, 'fallback', resume=True)
    runner.load_or_resume()
    assert runner.iter == 2
    assert any('iter_3.pth' in m and 'iter_2.pth' in m
               for m in records.messages), records.messages
    assert not [f for f in os.listdir(work_dir) if f.endswith('.tmp')]


@pytest.mark.slow
def test_resume_with_nothing_to_resume_says_so(synth_tiny_root, tmp_path,
                                               small_baseline_cfg):
    cfg = small_baseline_cfg(synth_tiny_root, tmp_path, max_iters=1)
    runner, records = build(cfg, 'nothing', resume=True)
    runner.load_or_resume()
    assert runner.iter == 0
    assert any(f'no checkpoint in {tmp_path}: starting from scratch' in m
               for m in records.messages), records.messages


@pytest.mark.slow
def test_resuming_a_checkpoint_of_another_model_names_the_weights(
        synth_tiny_root, tmp_path, small_baseline_cfg):
    cfg = small_baseline_cfg(synth_tiny_root, tmp_path, max_iters=1)
    build(cfg, 'two_layers')[0].train()
    cfg.model.backbone.arch.num_layers = 1
    runner, _ = build(cfg, 'one_layer', resume=True)
    with pytest.raises(CheckpointMismatchError) as info:
        runner.load_or_resume()
    message = str(info.value)
    assert 'iter_1.pth does not match the model' in message
    assert 'backbone.layers.1.' in message
