# CUHK03 new protocol, detected boxes: cuhk03_labeled.py with the boxes of
# the person detector.
_base_ = ['./cuhk03_labeled.py']

variant = 'detected'

train_dataloader = dict(dataset=dict(variant=variant))
test_dataloader = dict(dataset=dict(defaults=dict(variant=variant)))
val_dataloader = test_dataloader
