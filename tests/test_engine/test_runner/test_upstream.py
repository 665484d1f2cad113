"""What this library relies on in mmengine beyond its public API.

A failure here after an mmengine upgrade names the change to adapt to.
"""
from types import SimpleNamespace

import pytest
import torch
from mmengine.runner import IterBasedTrainLoop
from torch.utils.data import DataLoader

from mmreid_instruct.engine.runner.upstream import load_checkpoint_to_model


def test_load_checkpoint_to_model_revises_keys_and_honours_strict():
    model = torch.nn.Linear(2, 1)
    weights = {'module.weight': torch.ones(1, 2), 'module.bias': torch.ones(1)}
    checkpoint = {'state_dict': weights, 'meta': {'iter': 3}}
    assert load_checkpoint_to_model(model, checkpoint) is checkpoint
    assert torch.equal(model.weight, torch.ones(1, 2))
    # Weights at the top level, other prefix.
    load_checkpoint_to_model(
        model, {
            'net.weight': torch.zeros(1, 2),
            'net.bias': torch.zeros(1)
        },
        revise_keys=[(r'^net\.', '')])
    assert torch.equal(model.weight, torch.zeros(1, 2))
    with pytest.raises(RuntimeError, match='unexpected key'):
        load_checkpoint_to_model(
            model, {'state_dict': dict(weights, extra=torch.ones(1))},
            strict=True)


class Recorder:
    """A fake runner, model and dataloader iterator logging their calls."""

    def __init__(self):
        self.events = []
        self.hooks = []
        self.val_loop = None
        self.optim_wrapper = None
        self.visualizer = SimpleNamespace()
        self.model = self

    def call_hook(self, name, **kwargs):
        self.events.append((name, kwargs.get('batch_idx')))

    def train(self):
        pass

    def train_step(self, data_batch, optim_wrapper):
        self.events.append(('train_step', data_batch))
        return {}

    def __next__(self):
        self.events.append(('next', None))
        return 'batch'


def test_iter_based_train_loop_advances_its_iterator_once_per_trained_batch():
    """ReIDIterBasedTrainLoop relies on this: on resume at iteration N,
    ``IterBasedTrainLoop.run`` calls ``next(self.dataloader_iterator)`` N
    times after the ``before_train_epoch`` hooks and before the first
    iteration, and then once per iteration."""
    recorder = Recorder()
    loop = IterBasedTrainLoop(
        recorder, DataLoader(range(4)), max_iters=3, val_interval=10)
    loop._iter = 2  # what Runner.resume sets
    loop.dataloader_iterator = recorder
    loop.run()
    assert recorder.events[:7] == [
        ('before_train', None),
        ('before_train_epoch', None),
        ('next', None),
        ('next', None),
        ('next', None),
        ('before_train_iter', 2),
        ('train_step', 'batch'),
    ]
    assert [e for e in recorder.events
            if e[0] == 'next'] == [('next', None)] * 3
