# Runtime shared by every config of the library.
default_scope = 'mmreid_instruct'

# Atomic checkpoints and safe loading
# (see docs/en/user_guides/train_test.md).
runner_type = 'ReIDRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=1000,
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

log_processor = dict(by_epoch=False, window_size=50)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)

# RandomStateHook: checkpoints carry the random states, so that resuming is
# exact, and evaluating during training does not change training (see
# docs/en/advanced_guides/exact_resume.md). A config that sets custom_hooks
# replaces this list: keep RandomStateHook in it.
# MetricTableHook: print the metrics of every evaluation as a table.
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='MetricTableHook'),
    dict(type='NonFiniteLossHook', action='stop'),
]
