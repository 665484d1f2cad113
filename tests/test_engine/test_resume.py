"""Exact resume (RandomStateHook, ReIDIterBasedTrainLoop, with mmengine's
runner and loop too) and safe, atomic checkpoints of ReIDRunner."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmreid_instruct.engine import (CheckpointLoadError, ReIDRunner,
                                    load_checkpoint_file,
                                    register_checkpoint_safe_globals)
from mmreid_instruct.utils import register_all_modules

register_all_modules()


def train(cfg: Config, resume_from=None, runner_class=ReIDRunner):
    runner = build_runner(cfg, resume_from, runner_class)
    runner.train()
    return runner


def build_runner(cfg: Config, resume_from=None, runner_class=ReIDRunner):
    cfg = cfg.copy()
    cfg.experiment_name = f'exp_{abs(hash(cfg.work_dir))}'
    if resume_from is not None:
        cfg.resume = True
        cfg.load_from = resume_from
    return runner_class.from_cfg(cfg)


def weights(path):
    return load_checkpoint_file(path)['state_dict']


def max_difference(weights_a, weights_b):
    assert weights_a.keys() == weights_b.keys()
    return max(
        (weights_a[k].float() - weights_b[k].float()).abs().max().item()
        for k in weights_a)


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


@pytest.mark.slow
def test_checkpoint_interval_does_not_change_training(synth_tiny_root,
                                                      tmp_path,
                                                      small_baseline_cfg):
    """Saving a checkpoint at every step gives the weights of saving only at
    the end (docs/en/advanced_guides/evidence.md saves the long one-task rows
    more often than their configs do)."""
    final = {}
    for interval in (1, 4):
        work_dir = tmp_path / f'every-{interval}'
        train(
            small_baseline_cfg(
                synth_tiny_root,
                work_dir,
                max_iters=4,
                checkpoint_interval=interval))
        final[interval] = weights(str(work_dir / 'iter_4.pth'))
    assert not (tmp_path / 'every-4' / 'iter_1.pth').exists()
    assert final[1].keys() == final[4].keys()
    assert all(torch.equal(final[1][k], final[4][k]) for k in final[1])
    # The comparison is meaningful: training changed the weights.
    first = weights(str(tmp_path / 'every-1' / 'iter_1.pth'))
    assert any(not torch.equal(final[1][k], first[k]) for k in first)


@pytest.fixture(scope='module')
def uninterrupted_run(synth_tiny_root, tmp_path_factory, small_baseline_cfg):
    """The config of 6 iterations with checkpoints at 3 and 6, and the work
    dir of a run of it (ReIDRunner, ReIDIterBasedTrainLoop, 0 workers)."""
    work_dir = tmp_path_factory.mktemp('uninterrupted')
    cfg = small_baseline_cfg(
        synth_tiny_root, work_dir, max_iters=6, checkpoint_interval=3)
    train(cfg)
    return cfg, work_dir


def resume_at_iteration_3(cfg, full_dir, work_dir, runner_class, monkeypatch):
    """Resume ``cfg`` from ``full_dir/iter_3.pth`` into ``work_dir``.

    Returns:
        tuple: The largest weight difference with the uninterrupted run at
        iteration 6, and the number of samples loaded.
    """
    cfg = cfg.copy()
    cfg.work_dir = str(work_dir)
    runner = build_runner(cfg, str(full_dir / 'iter_3.pth'), runner_class)
    dataset_class = type(runner.train_loop.dataloader.dataset)
    loaded = []
    get_item = dataset_class.__getitem__

    def counting_get_item(dataset, index):
        loaded.append(index)
        return get_item(dataset, index)

    monkeypatch.setattr(dataset_class, '__getitem__', counting_get_item)
    runner.train()
    difference = max_difference(
        weights(str(full_dir / 'iter_6.pth')),
        weights(str(work_dir / 'iter_6.pth')))
    return difference, len(loaded)


@pytest.mark.slow
@pytest.mark.parametrize('runner_class,loop', [
    (Runner, 'ReIDIterBasedTrainLoop'),
    (ReIDRunner, 'IterBasedTrainLoop'),
    (Runner, 'IterBasedTrainLoop'),
])
def test_plain_mmengine_runner_and_loop_resume_exactly(uninterrupted_run,
                                                       tmp_path, monkeypatch,
                                                       random_state_warnings,
                                                       runner_class, loop):
    # mmengine 0.10.7 cannot load its own checkpoints with the weights_only
    # default of torch >= 2.6 without this (ReIDRunner calls it).
    register_checkpoint_safe_globals()
    cfg, full_dir = uninterrupted_run
    cfg = cfg.copy()
    cfg.pop('runner_type')
    cfg.train_cfg.type = loop
    difference, num_loaded = resume_at_iteration_3(cfg, full_dir, tmp_path,
                                                   runner_class, monkeypatch)
    assert difference == 0
    assert not random_state_warnings
    # ReIDIterBasedTrainLoop loads only the 3 batches it trains on;
    # mmengine's loop also loads the 3 batches trained before the resume.
    batch_size = cfg.train_dataloader.batch_size
    batches = 3 if loop == 'ReIDIterBasedTrainLoop' else 6
    assert num_loaded == batches * batch_size


@pytest.mark.slow
@pytest.mark.parametrize('loop',
                         ['ReIDIterBasedTrainLoop', 'IterBasedTrainLoop'])
def test_resuming_without_random_state_hook_says_it_is_not_exact(
        uninterrupted_run, tmp_path, monkeypatch, random_state_warnings, loop):
    cfg, full_dir = uninterrupted_run
    cfg = cfg.copy()
    cfg.train_cfg.type = loop
    cfg.custom_hooks = [dict(type='MetricTableHook')]
    difference, _ = resume_at_iteration_3(cfg, full_dir, tmp_path, ReIDRunner,
                                          monkeypatch)
    assert len(random_state_warnings) == 1
    assert 'Resuming without RandomStateHook' in random_state_warnings[0]
    # The warning is true: the run differs from the uninterrupted one.
    assert difference > 0


@pytest.mark.slow
def test_resuming_a_checkpoint_without_random_state_says_it_is_not_exact(
        uninterrupted_run, tmp_path, monkeypatch, random_state_warnings):
    cfg, full_dir = uninterrupted_run
    checkpoint = load_checkpoint_file(str(full_dir / 'iter_3.pth'))
    del checkpoint['meta']['random_state']
    stripped_dir = tmp_path / 'stripped'
    stripped_dir.mkdir()
    torch.save(checkpoint, stripped_dir / 'iter_3.pth')
    (stripped_dir / 'iter_6.pth').symlink_to(full_dir / 'iter_6.pth')
    difference, _ = resume_at_iteration_3(cfg, stripped_dir,
                                          tmp_path / 'resumed', ReIDRunner,
                                          monkeypatch)
    assert len(random_state_warnings) == 1
    assert "iteration 3 has no meta['random_state']" in random_state_warnings[
        0]
    assert difference > 0


@pytest.mark.slow
def test_dataloader_and_sampler_batch_sizes_must_agree(synth_tiny_root,
                                                       tmp_path,
                                                       small_baseline_cfg):
    cfg = small_baseline_cfg(synth_tiny_root, tmp_path)
    cfg.train_dataloader.batch_size += 1
    runner = build_runner(cfg)
    with pytest.raises(
            ValueError,
            match='train_dataloader.batch_size=.* '
            'must equal the batch size of PKSampler'):
        runner.train_loop


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


def test_numpy_arrays_and_scalars_load(tmp_path):
    path = tmp_path / 'numpy.pth'
    torch.save({'array': np.arange(3), 'scalar': np.float32(0.5)}, path)
    checkpoint = load_checkpoint_file(str(path))
    assert checkpoint['array'].tolist() == [0, 1, 2]
    assert checkpoint['scalar'] == np.float32(0.5)


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


@pytest.mark.slow
def test_all_tasks_mode_resumes_exactly(synth_tiny_root, tmp_path, monkeypatch,
                                        random_state_warnings,
                                        small_all_tasks_cfg):
    full_dir, resumed_dir = tmp_path / 'full', tmp_path / 'resumed'
    # AdamW with its schedule; drop path on, so the forward pass draws
    # random numbers too.
    cfg = small_all_tasks_cfg(
        synth_tiny_root,
        full_dir,
        max_iters=4,
        checkpoint_interval=2,
        sgd=False,
        shares=dict(trad=1, ctcc=1, t2i=2))
    cfg.model.backbone.drop_path_rate = 0.1
    train(cfg)
    cfg.work_dir = str(resumed_dir)
    runner = build_runner(cfg, str(full_dir / 'iter_2.pth'))
    dataset_class = type(runner.train_loop.dataloader.dataset)
    loaded = []
    get_item = dataset_class.__getitem__

    def counting_get_item(dataset, index):
        loaded.append(index)
        return get_item(dataset, index)

    monkeypatch.setattr(dataset_class, '__getitem__', counting_get_item)
    runner.train()

    full = weights(str(full_dir / 'iter_4.pth'))
    assert max_difference(full, weights(str(resumed_dir / 'iter_4.pth'))) == 0
    assert any(not torch.equal(full[k], v)
               for k, v in weights(str(full_dir / 'iter_2.pth')).items())
    assert not random_state_warnings
    # Only the 2 resumed steps are loaded: 4 batches of 4 x 2 each.
    assert len(loaded) == 2 * 4 * 8
