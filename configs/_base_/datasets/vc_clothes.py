# VC-Clothes, clothes-changing ReID: all cameras (Market-style), same clothes
# (cameras 2 & 3) and clothes change (cameras 3 & 4). Data: VC-Clothes/ under
# `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_dataloaders.py']

dataset_type = 'VCClothes'

train_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(defaults=dict(type=dataset_type)))
val_dataloader = test_dataloader
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
val_evaluator = test_evaluator
