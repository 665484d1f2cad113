# LTCC, clothes-changing ReID: general (Market-style) and clothes-changing
# (same-clothes matches are junk) results. Data: LTCC_ReID/ under `data/` (see
# docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_pipelines.py']

dataset_type = 'LTCC'
data_root = 'data'

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
                pipeline=_base_.test_pipeline),
            dict(
                type=dataset_type,
                data_root=data_root,
                subset='gallery',
                pipeline=_base_.test_pipeline),
        ]))
test_evaluator = [
    dict(type='ReIDMetric', prefix='general'),
    dict(type='ReIDMetric', clothes_mode='cc', prefix='cc'),
]

val_dataloader = test_dataloader
val_evaluator = test_evaluator
