"""Exact resume and safe, atomic checkpoints of ReIDRunner."""
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmreid_instruct.engine import (CheckpointLoadError, ReIDRunner,
                                    load_checkpoint_file)
from mmreid_instruct.utils import register_all_modules

register_all_modules()


def train(cfg: Config, resume_from=None):
    cfg = cfg.copy()
    cfg.experiment_name = f'exp_{abs(hash(cfg.work_dir))}'
    if resume_from is not None:
        cfg.resume = True
        cfg.load_from = resume_from
    runner = ReIDRunner.from_cfg(cfg)
    runner.train()
    return runner


def weights(path):
    return load_checkpoint_file(path)['state_dict']


@pytest.mark.slow
@pytest.mark.parametrize('num_workers', [0, 1])
def test_resumed_run_equals_uninterrupted_run(synth_tiny_root, tmp_path,
                                              num_workers, small_baseline_cfg):
    full_dir, resumed_dir = tmp_path / 'full', tmp_path / 'resumed'
    cfg = small_baseline_cfg(
        synth_tiny_root,
        full_dir,
        max_iters=6,
        num_workers=num_workers,
        checkpoint_interval=3)
    train(cfg)
    cfg.work_dir = str(resumed_dir)
    train(cfg, resume_from=str(full_dir / 'iter_3.pth'))

    full = weights(str(full_dir / 'iter_6.pth'))
    resumed = weights(str(resumed_dir / 'iter_6.pth'))
    halfway = weights(str(full_dir / 'iter_3.pth'))
    assert full.keys() == resumed.keys()
    max_diff = max((full[k].float() - resumed[k].float()).abs().max().item()
                   for k in full)
    assert max_diff <= 1e-6
    # The comparison is meaningful: training changed the weights.
    assert any(not torch.equal(full[k], halfway[k]) for k in full)

    full_opt = load_checkpoint_file(str(full_dir / 'iter_6.pth'))['optimizer']
    res_opt = load_checkpoint_file(str(resumed_dir /
                                       'iter_6.pth'))['optimizer']
    for key, state in full_opt['state'].items():
        assert torch.equal(state['exp_avg'], res_opt['state'][key]['exp_avg'])


@pytest.fixture(scope='module')
def checkpoint_file(synth_tiny_root, tmp_path_factory, small_baseline_cfg):
    work_dir = tmp_path_factory.mktemp('ckpt')
    cfg = small_baseline_cfg(
        synth_tiny_root, work_dir, max_iters=1, checkpoint_interval=1)
    train(cfg)
    return str(work_dir / 'iter_1.pth')


@pytest.mark.slow
def test_checkpoint_is_safe_to_load_and_holds_the_random_state(
        checkpoint_file, tmp_path):
    # Plain torch.load with weights_only=True (the torch>=2.6 default) and
    # our allow-list only.
    from mmreid_instruct.engine import register_checkpoint_safe_globals
    register_checkpoint_safe_globals()
    checkpoint = torch.load(checkpoint_file, weights_only=True)
    assert checkpoint['meta']['iter'] == 1
    assert set(
        checkpoint['meta']['random_state']) >= {'python', 'numpy', 'torch'}
    # The atomic write leaves no temporary file behind.
    assert not [
        f
        for f in os.listdir(osp.dirname(checkpoint_file)) if f.endswith('.tmp')
    ]


@pytest.mark.slow
def test_truncated_and_foreign_files_give_clear_errors(checkpoint_file,
                                                       tmp_path):
    data = open(checkpoint_file, 'rb').read()
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointLoadError, match='truncated.pth'):
        load_checkpoint_file(str(truncated))
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint')
    with pytest.raises(
            CheckpointLoadError,
            match='notes.pth.*truncated or '
            'is not a PyTorch checkpoint'):
        load_checkpoint_file(str(text))
    with pytest.raises(FileNotFoundError):
        load_checkpoint_file(str(tmp_path / 'missing.pth'))


class NotAllowListed:
    pass


def test_objects_outside_the_allow_list_are_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': NotAllowListed()}, path)
    with pytest.raises(CheckpointLoadError, match='evil.pth.*allow-list'):
        load_checkpoint_file(str(path))


@pytest.mark.slow
def test_runner_load_checkpoint_names_a_corrupt_file(synth_tiny_root,
                                                     checkpoint_file, tmp_path,
                                                     small_baseline_cfg):
    cfg = small_baseline_cfg(synth_tiny_root, tmp_path / 'w')
    cfg.experiment_name = 'corrupt'
    runner = ReIDRunner.from_cfg(cfg)
    bad = tmp_path / 'iter_9.pth'
    bad.write_bytes(open(checkpoint_file, 'rb').read()[:1000])
    with pytest.raises(CheckpointLoadError, match='iter_9.pth'):
        runner.load_checkpoint(str(bad))


@pytest.mark.slow
def test_failed_save_keeps_the_previous_checkpoint(synth_tiny_root, tmp_path,
                                                   monkeypatch,
                                                   small_baseline_cfg):
    cfg = small_baseline_cfg(synth_tiny_root, tmp_path / 'w')
    cfg.experiment_name = 'atomic'
    runner = ReIDRunner.from_cfg(cfg)
    runner.train()  # 4 iterations: iter_2.pth and iter_4.pth
    target = tmp_path / 'w' / 'iter_4.pth'
    before = target.read_bytes()

    def broken_save(obj, f, *args, **kwargs):
        f.write(b'partial')
        raise OSError('disk full')

    monkeypatch.setattr(torch, 'save', broken_save)
    with pytest.raises(OSError, match='disk full'):
        runner.save_checkpoint(str(tmp_path / 'w'), 'iter_4.pth')
    assert target.read_bytes() == before


@pytest.mark.slow
def test_number_of_workers_does_not_change_training(synth_tiny_root, tmp_path,
                                                    small_baseline_cfg):
    finals = []
    for num_workers in (0, 2):
        work_dir = tmp_path / f'workers{num_workers}'
        cfg = small_baseline_cfg(
            synth_tiny_root,
            work_dir,
            max_iters=3,
            num_workers=num_workers,
            checkpoint_interval=3)
        train(cfg)
        finals.append(weights(str(work_dir / 'iter_3.pth')))
    assert all(torch.equal(finals[0][k], finals[1][k]) for k in finals[0])
