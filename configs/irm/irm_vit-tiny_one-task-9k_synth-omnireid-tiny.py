# The one-task-per-step twin of irm_vit-tiny_all-tasks_synth-omnireid-tiny.py
# with the same number of samples: every iteration draws ONE of the six
# training lists, each equally often (the all-tasks mode gives every list
# one batch per step), and trains on an 8x4 batch of it. The all-tasks run
# makes 1,500 steps of six batches; this one makes 6 x 1,500 = 9,000 steps
# of one, with the warm-up, the cosine decay, the evaluations and the
# checkpoints scaled by 6 too. What differs is the mode only: one task per
# step against all tasks per step. See docs/en/advanced_guides/evidence.md.
_base_ = ['./irm_vit-tiny_synth-omnireid-tiny.py']

train_dataloader = dict(sampler=dict(ratios=[1] * 6))

max_iters = 9000
warmup_iters = 600
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_iters),
    dict(_base_.param_scheduler[1], begin=warmup_iters, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=3000)
default_hooks = dict(checkpoint=dict(interval=6000))
