# The paper schedule: AdamW, lr 4e-5, weight decay 5e-4, 1,000 linear
# warm-up iterations, then cosine decay to iteration 24,000.
max_iters = 24000
warmup_iters = 1000

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=4e-5, weight_decay=5e-4, betas=(0.9, 0.999)),
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
        eta_min=0.,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]

train_cfg = dict(
    type='ReIDIterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict()
test_cfg = dict()
