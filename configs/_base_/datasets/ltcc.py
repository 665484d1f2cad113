# LTCC, clothes-changing ReID: general (Market-style) and clothes-changing
# (same-clothes matches are junk) results. Data: LTCC_ReID/ under `data/` (see
# docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_dataloaders.py']

dataset_type = 'LTCC'

train_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(defaults=dict(type=dataset_type)))
val_dataloader = test_dataloader
test_evaluator = [
    dict(type='ReIDMetric', prefix='general'),
    dict(type='ReIDMetric', protocol=dict(clothes_mode='cc'), prefix='cc'),
]
val_evaluator = test_evaluator
