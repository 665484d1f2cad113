# RSTPReid, text-to-image ReID: test captions against test images, as in
# cuhk_pedes.py. Data: RSTPReid/ under `data/` (see
# docs/en/user_guides/dataset_prepare.md).
_base_ = ['./cuhk_pedes.py']

dataset_type = 'RSTPReid'

train_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(dataset=dict(defaults=dict(type=dataset_type)))
val_dataloader = test_dataloader
