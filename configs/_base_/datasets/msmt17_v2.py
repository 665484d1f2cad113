# MSMT17 V2 (mask_train_v2, mask_test_v2): msmt17.py on MSMT17_V2/ under
# `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./msmt17.py']

version = 'v2'

train_dataloader = dict(dataset=dict(version=version))
test_dataloader = dict(dataset=dict(defaults=dict(version=version)))
val_dataloader = test_dataloader
