# CUHK-PEDES, text-to-image ReID: test captions against test images (the
# protocol of icfg_pedes.py and rstp_reid.py too). Data: CUHK-PEDES/ under
# `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_dataloaders.py']

dataset_type = 'CUHKPEDES'

train_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(defaults=dict(type=dataset_type)))
val_dataloader = test_dataloader
test_evaluator = dict(type='T2IMetric')
val_evaluator = test_evaluator
