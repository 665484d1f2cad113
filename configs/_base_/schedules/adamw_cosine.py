# AdamW with linear warm-up and cosine decay, iteration-based; the base of
# the adamw_cosine_*.py schedules. The numbers below are the CPU-sized
# schedule (1,500 iterations, 100 of warm-up, lr 5e-4).
#
# mmengine evaluates this file on its own and replaces (does not merge)
# lists, so a child that sets other iteration counts rebuilds the
# schedulers and the loop from them, e.g. (see adamw_cosine_24k.py):
#
#     max_iters = 3000
#     param_scheduler = [
#         _base_.param_scheduler[0],
#         dict(_base_.param_scheduler[1], end=max_iters),
#     ]
#     train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
max_iters = 1500
warmup_iters = 100

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=5e-4, weight_decay=0.05, betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
)

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]

train_cfg = dict(
    type='ReIDIterBasedTrainLoop', max_iters=max_iters, val_interval=500)
val_cfg = dict()
test_cfg = dict()
