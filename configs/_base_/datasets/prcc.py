# PRCC, clothes-changing ReID: gallery camera A; queries of camera B (same
# clothes) and C (cross clothes), evaluated apart. Data: prcc/rgb/ under
# `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_dataloaders.py']

dataset_type = 'PRCC'

train_dataloader = dict(dataset=dict(type=dataset_type))
# Queries of both cameras B and C; the evaluators split them.
test_dataloader = dict(
    dataset=dict(
        defaults=dict(type=dataset_type),
        datasets=[
            dict(subset='query', clothes='both'),
            dict(subset='gallery')
        ]))
val_dataloader = test_dataloader
# Camera ids are 0-based: A=0, B=1, C=2.
test_evaluator = [
    dict(type='ReIDMetric', query_cameras=[1], prefix='same'),
    dict(type='ReIDMetric', query_cameras=[2], prefix='cross'),
]
val_evaluator = test_evaluator
