# MSMT17 V1 (msmt17_v2.py for V2), traditional ReID, Market-style evaluation.
# Data: MSMT17_V1/ under `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_dataloaders.py']

dataset_type = 'MSMT17'
version = 'v1'

train_dataloader = dict(dataset=dict(type=dataset_type, version=version))
test_dataloader = dict(
    dataset=dict(defaults=dict(type=dataset_type, version=version)))
val_dataloader = test_dataloader
