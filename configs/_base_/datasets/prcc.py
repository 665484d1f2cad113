# PRCC, clothes-changing ReID: gallery camera A; queries of camera B (same
# clothes) and C (cross clothes), evaluated apart. Data: prcc/rgb/ under
# `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_pipelines.py']

dataset_type = 'PRCC'
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
                clothes='both',
                pipeline=_base_.test_pipeline),
            dict(
                type=dataset_type,
                data_root=data_root,
                subset='gallery',
                pipeline=_base_.test_pipeline),
        ]))
# Camera ids are 0-based: A=0, B=1, C=2.
test_evaluator = [
    dict(type='ReIDMetric', query_cameras=[1], prefix='same'),
    dict(type='ReIDMetric', query_cameras=[2], prefix='cross'),
]

val_dataloader = test_dataloader
val_evaluator = test_evaluator
