# SYSU-MM01, visible-infrared ReID, indoor search: infrared queries against
# RGB cameras 1, 2. Data: SYSU-MM01/ under `data/` (see
# docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_pipelines.py']

dataset_type = 'SYSUMM01'
data_root = 'data'
mode = 'indoor'

train_dataloader = dict(
    **_base_.train_loader_args,
    sampler=_base_.train_sampler,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        subset='train',
        pipeline=_base_.train_pipeline))

test_dataloader = dict(
    **_base_.test_loader_args,
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type=dataset_type,
                data_root=data_root,
                subset='query',
                mode=mode,
                pipeline=_base_.test_pipeline),
            dict(
                type=dataset_type,
                data_root=data_root,
                subset='gallery',
                mode=mode,
                pipeline=_base_.test_pipeline),
        ]))
# Single-shot gallery (one image per identity and camera), 10 seeded trials.
test_evaluator = dict(
    type='VIReIDMetric', num_trials=10, sysu_camera_skip=True, prefix='indoor')

val_dataloader = test_dataloader
val_evaluator = test_evaluator
