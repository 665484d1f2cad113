import random
from types import SimpleNamespace

import numpy as np
import torch

from mmreid_instruct.engine.hooks import (RandomStateHook,
                                          warn_if_no_random_state_hook)
from mmreid_instruct.utils.random_state import (get_random_state,
                                                set_random_state)


def draw():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)))


def resume(hook, checkpoint, runner_iter):
    """What a runner does between loading and the first resumed iteration."""
    runner = SimpleNamespace(iter=runner_iter)
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train(runner)
    draw()  # the loop moves the dataloader; randomness may be drawn
    hook.before_train_iter(runner, batch_idx=runner_iter)


def test_resume_restores_the_states_saved_with_the_checkpoint():
    hook = RandomStateHook()
    checkpoint = dict(meta=dict(iter=3))
    hook.before_save_checkpoint(SimpleNamespace(iter=3), checkpoint)
    assert set(
        checkpoint['meta']['random_state']) >= {'python', 'numpy', 'torch'}
    expected = draw()
    resume(hook, checkpoint, runner_iter=3)
    assert draw() == expected


def test_states_are_restored_once_and_only_on_resume():
    hook = RandomStateHook()
    checkpoint = dict(meta=dict(iter=3))
    hook.before_save_checkpoint(None, checkpoint)
    saved_next = draw()
    # load_from: the loop starts at 0, the states are not touched.
    resume(hook, checkpoint, runner_iter=0)
    assert draw() != saved_next
    # Resume: restored before the first iteration, not before the second.
    resume(hook, checkpoint, runner_iter=3)
    first = draw()
    hook.before_train_iter(SimpleNamespace(iter=4), batch_idx=4)
    assert first == saved_next and draw() != saved_next


def test_resuming_a_checkpoint_without_states_warns(random_state_warnings):
    logged = random_state_warnings
    resume(RandomStateHook(), dict(meta=dict(iter=3)), runner_iter=3)
    assert len(logged) == 1
    assert "iteration 3 has no meta['random_state']" in logged[0]
    assert 'not be bit-identical' in logged[0]


def test_validation_leaves_the_states_as_they_were():
    hook = RandomStateHook()
    state = get_random_state()
    expected = draw()
    set_random_state(state)
    hook.before_val(None)
    draw()
    hook.after_val(None)
    assert draw() == expected


def test_warn_if_no_random_state_hook_warns_when_missing(
        random_state_warnings):
    logged = random_state_warnings
    assert warn_if_no_random_state_hook(
        SimpleNamespace(hooks=[RandomStateHook()]))
    assert not logged
    assert not warn_if_no_random_state_hook(SimpleNamespace(hooks=[]))
    assert 'Resuming without RandomStateHook' in logged[0]
    assert "dict(type='RandomStateHook')" in logged[0]
