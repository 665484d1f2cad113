# CUHK03 new protocol, detected boxes, Market-style evaluation. Data:
# cuhk03-np/ (or the raw cuhk03/) under `data/` (see
# docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_pipelines.py']

dataset_type = 'CUHK03'
data_root = 'data'
variant = 'detected'

train_dataloader = dict(
    **_base_.train_loader_args,
    sampler=_base_.train_sampler,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        subset='train',
        variant=variant,
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
                variant=variant,
                pipeline=_base_.test_pipeline),
            dict(
                type=dataset_type,
                data_root=data_root,
                subset='gallery',
                variant=variant,
                pipeline=_base_.test_pipeline),
        ]))
test_evaluator = dict(type='ReIDMetric')

val_dataloader = test_dataloader
val_evaluator = test_evaluator
