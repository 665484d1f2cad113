"""AllTasksTrainLoop: one optimizer step over a batch of every training list
(the "all tasks per step" mode)."""
import copy
from types import SimpleNamespace

import pytest
from mmengine.optim import OptimWrapper

from mmreid_instruct.engine import ReIDRunner
from mmreid_instruct.engine.runner import all_tasks_train_loop
from mmreid_instruct.utils import register_all_modules

register_all_modules()


def build_runner(cfg, name):
    cfg = cfg.copy()
    cfg.experiment_name = f'{name}_{abs(hash(cfg.work_dir))}'
    return ReIDRunner.from_cfg(cfg)


@pytest.mark.slow
def test_one_step_is_the_weighted_mean_of_the_batch_gradients(
        synth_tiny_root, tmp_path, small_all_tasks_cfg, monkeypatch):
    cfg = small_all_tasks_cfg(
        synth_tiny_root,
        tmp_path,
        max_iters=1,
        checkpoint_interval=10,
        shares=dict(trad=1, ctcc=1, t2i=2),
        loss_weights=dict(trad=3, ctcc=1, t2i=0.5))
    runner = build_runner(cfg, 'grad')
    loop = runner.train_loop
    # weight / (3 + 1 + 2 x 0.5), by hand.
    assert loop.step_plan == [(0, 0.6), (1, 0.2), (2, 0.1), (2, 0.1)]

    recorded = {}
    train_step = loop.train_step

    def recording_train_step(group):
        # The weights and batches of the step, before it changes anything.
        recorded['model'] = copy.deepcopy(runner.model)
        recorded['group'] = copy.deepcopy(group)
        recorded['outputs'] = train_step(group)
        return recorded['outputs']

    step = OptimWrapper.step

    def recording_step(self, **kwargs):
        recorded['grads'] = {
            name: p.grad.clone()
            for name, p in runner.model.named_parameters()
            if p.grad is not None
        }
        return step(self, **kwargs)

    monkeypatch.setattr(loop, 'train_step', recording_train_step)
    monkeypatch.setattr(OptimWrapper, 'step', recording_step)
    runner.train()

    # Reference: each batch on its own, the gradients combined by hand.
    model = recorded['model']
    expected, unweighted = {}, {}
    tasks = []
    for batch, weight in zip(recorded['group'], [0.6, 0.2, 0.1, 0.1]):
        model.zero_grad()
        data = model.data_preprocessor(batch, True)
        tasks.append(data['data_samples'][0].task)
        loss, _ = model.parse_losses(model(**data, mode='loss'))
        loss.backward()
        for name, p in model.named_parameters():
            if p.grad is not None:
                expected[name] = expected.get(name, 0) + weight * p.grad
                unweighted[name] = unweighted.get(name, 0) + p.grad / 4
    assert tasks == ['trad', 'ctcc', 't2i', 't2i']
    grads = recorded['grads']
    assert grads.keys() == expected.keys()
    # Parameters of one task only (t2i head, image instruction encoder)
    # and shared ones are all there.
    assert any(k.startswith('t2i_head.') for k in grads)
    assert any(k.startswith('image_instruction_encoder.') for k in grads)

    def relative_error(reference):
        # Some gradients are float noise around 0 (norm ~1e-7): floor.
        return max(((grads[k] - reference[k]).norm() /
                    reference[k].norm().clamp(min=1e-3)).item() for k in grads)

    assert relative_error(expected) < 1e-3
    # The check tells the weighting apart: a plain mean is far off.
    assert relative_error(unweighted) > 0.1

    outputs = recorded['outputs']
    assert {'loss', 'trad.loss_cls_g', 'ctcc.loss_triplet_u',
            't2i.loss_t2i'} <= set(outputs)


@pytest.mark.slow
def test_the_loop_needs_the_all_tasks_batch_sampler(synth_tiny_root, tmp_path,
                                                    small_all_tasks_cfg):
    cfg = small_all_tasks_cfg(synth_tiny_root, tmp_path)
    loader = cfg.train_dataloader
    loader.pop('batch_sampler')
    loader.batch_size = 8
    loader.sampler = dict(
        type='MultiTaskPKSampler', num_pids=4, num_instances=2)
    runner = build_runner(cfg, 'nobatch')
    with pytest.raises(TypeError, match="type='AllTasksPKSampler'"):
        runner.train_loop


@pytest.mark.slow
def test_the_batch_sampler_needs_the_all_tasks_loop(synth_tiny_root, tmp_path,
                                                    small_all_tasks_cfg):
    cfg = small_all_tasks_cfg(synth_tiny_root, tmp_path)
    cfg.train_cfg.type = 'ReIDIterBasedTrainLoop'
    runner = build_runner(cfg, 'wrongloop')
    with pytest.raises(TypeError, match="type='AllTasksTrainLoop'"):
        runner.train_loop


@pytest.mark.slow
def test_accumulative_counts_are_refused(synth_tiny_root, tmp_path,
                                         small_all_tasks_cfg):
    cfg = small_all_tasks_cfg(synth_tiny_root, tmp_path)
    cfg.optim_wrapper.accumulative_counts = 2
    runner = build_runner(cfg, 'accumulate')
    with pytest.raises(ValueError, match='accumulative_counts must be 1'):
        runner.train()


@pytest.mark.slow
def test_a_non_finite_loss_skips_the_whole_step(synth_tiny_root, tmp_path,
                                                small_all_tasks_cfg):
    cfg = small_all_tasks_cfg(synth_tiny_root, tmp_path, max_iters=2)
    cfg.custom_hooks = [
        dict(type='RandomStateHook'),
        dict(type='NonFiniteLossHook', action='skip')
    ]
    runner = build_runner(cfg, 'nan')
    head = runner.model.head
    loss = head.loss
    calls = []

    def nan_in_the_second_batch_of_step_1(*args, **kwargs):
        losses = loss(*args, **kwargs)
        calls.append(runner.iter)
        if runner.iter == 0 and len(calls) == 2:  # ctcc, after trad
            losses['loss_cls_g'] = losses['loss_cls_g'] * float('nan')
        return losses

    head.loss = nan_in_the_second_batch_of_step_1
    before = {}
    train_step = runner.train_loop.train_step

    def recording(group):
        if not before:
            before.update(copy.deepcopy(runner.model.state_dict()))
        return train_step(group)

    runner.train_loop.train_step = recording
    steps = []
    optimizer_step = OptimWrapper.step

    def counting_step(self, **kwargs):
        steps.append(runner.iter)
        return optimizer_step(self, **kwargs)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(OptimWrapper, 'step', counting_step)
        runner.train()
    hook = [h for h in runner.hooks if type(h).__name__ == 'NonFiniteLossHook']
    assert hook[0].num_skipped == 1
    assert steps == [1]  # step 1 skipped (t2i not even run), step 2 taken
    assert calls == [0, 0, 1, 1]


@pytest.mark.parametrize('split, world_size, needs_all_ranks, tasks, raises', [
    (True, 2, True, ('trad', 't2i'), True),
    (False, 2, True, ('trad', 't2i'), False),
    (True, 1, True, ('trad', 't2i'), False),
    (True, 2, False, ('trad', 't2i'), False),
    (True, 2, True, ('trad', 'cc'), False),
])
def test_a_t2i_head_gathering_from_all_ranks_refuses_split_steps(
        monkeypatch, split, world_size, needs_all_ranks, tasks, raises):
    """ALBEFT2IHead all-gathers its queues in each t2i batch, so every rank
    must run the t2i batches: split_across_ranks=True deals them to one."""
    monkeypatch.setattr(all_tasks_train_loop, 'get_world_size',
                        lambda: world_size)
    head = SimpleNamespace(needs_all_ranks=needs_all_ranks)
    loop = SimpleNamespace(
        dataloader=SimpleNamespace(
            batch_sampler=SimpleNamespace(
                split_across_ranks=split, tasks=list(tasks))),
        runner=SimpleNamespace(model=SimpleNamespace(t2i_head=head)))
    check = all_tasks_train_loop.AllTasksTrainLoop._check_t2i_head_on_all_ranks
    if raises:
        with pytest.raises(ValueError, match='split_across_ranks=False'):
            check(loop)
    else:
        check(loop)
