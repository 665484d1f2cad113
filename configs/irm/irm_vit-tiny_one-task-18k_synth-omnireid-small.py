# The one-task-per-step twin of irm_vit-tiny_all-tasks_synth-omnireid-small.py
# with the same number of samples: every iteration draws ONE of the six
# training lists, each equally often, and trains on an 8x4 batch of it, for
# 6 x 3,000 = 18,000 steps, with the warm-up, the cosine decay and the
# checkpoints scaled by 6 too; evaluated once at the end. See
# irm_vit-tiny_one-task-9k_synth-omnireid-tiny.py and
# docs/en/advanced_guides/evidence.md.
_base_ = ['./irm_vit-tiny_synth-omnireid-small.py']

train_dataloader = dict(sampler=dict(ratios=[1] * 6))

max_iters = 18000
warmup_iters = 600
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_iters),
    dict(_base_.param_scheduler[1], begin=warmup_iters, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=6000))
