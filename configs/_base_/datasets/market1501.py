# Market-1501, traditional ReID, Market-style evaluation. Data:
# Market-1501-v15.09.15/ under `data/` (see
# docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_dataloaders.py']

dataset_type = 'Market1501'

train_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(defaults=dict(type=dataset_type)))
val_dataloader = test_dataloader
