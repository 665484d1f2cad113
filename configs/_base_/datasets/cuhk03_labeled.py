# CUHK03 new protocol, labeled boxes (cuhk03_detected.py for detected ones),
# Market-style evaluation. Data: cuhk03-np/ (or the raw cuhk03/) under
# `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_dataloaders.py']

dataset_type = 'CUHK03'
variant = 'labeled'

train_dataloader = dict(dataset=dict(type=dataset_type, variant=variant))
test_dataloader = dict(
    dataset=dict(defaults=dict(type=dataset_type, variant=variant)))
val_dataloader = test_dataloader
