# DukeMTMC-reID, traditional ReID, Market-style evaluation. Data:
# DukeMTMC-reID/ under `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_dataloaders.py']

dataset_type = 'DukeMTMCReID'

train_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(defaults=dict(type=dataset_type)))
val_dataloader = test_dataloader
