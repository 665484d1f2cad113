# The paper schedule: AdamW, lr 4e-5, weight decay 5e-4, 1,000 linear
# warm-up iterations, then cosine decay to 0 at iteration 24,000
# (validation at the end).
_base_ = ['./adamw_cosine.py']

max_iters = 24000
warmup_iters = 1000

optim_wrapper = dict(optimizer=dict(lr=4e-5, weight_decay=5e-4))
param_scheduler = [
    dict(_base_.param_scheduler[0], end=warmup_iters),
    dict(
        _base_.param_scheduler[1],
        eta_min=0.,
        begin=warmup_iters,
        end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
