# VC-Clothes, clothes-changing ReID: all cameras (Market-style), same clothes
# (cameras 2 & 3) and clothes change (cameras 3 & 4). Data: VC-Clothes/ under
# `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_pipelines.py']

dataset_type = 'VCClothes'
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
# Camera ids are 0-based: camera 2 is 1, and so on.
test_evaluator = [
    dict(type='ReIDMetric', prefix='all'),
    dict(
        type='ReIDMetric',
        query_cameras=[1, 2],
        gallery_cameras=[1, 2],
        prefix='sc'),
    dict(
        type='ReIDMetric',
        query_cameras=[2, 3],
        gallery_cameras=[2, 3],
        prefix='cc'),
]

val_dataloader = test_dataloader
val_evaluator = test_evaluator
