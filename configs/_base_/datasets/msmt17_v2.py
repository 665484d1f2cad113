# MSMT17 V2 (mask_train_v2, mask_test_v2), traditional ReID, Market-style
# evaluation. Data: MSMT17_V2/ under `data/` (see
# docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_pipelines.py']

dataset_type = 'MSMT17'
data_root = 'data'
version = 'v2'

train_dataloader = dict(
    **_base_.train_loader_args,
    sampler=_base_.train_sampler,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        subset='train',
        version=version,
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
                version=version,
                pipeline=_base_.test_pipeline),
            dict(
                type=dataset_type,
                data_root=data_root,
                subset='gallery',
                version=version,
                pipeline=_base_.test_pipeline),
        ]))
test_evaluator = dict(type='ReIDMetric')

val_dataloader = test_dataloader
val_evaluator = test_evaluator
