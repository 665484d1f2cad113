# The README quick start: the tiny IRM of irm_vit-tiny_synth-omnireid-tiny.py
# shortened to 800 iterations (one evaluation and one checkpoint, at the end)
# so that install, data generation, training and testing fit in 10 minutes
# on a 2-core CPU, with the T2I head's image BN neck on (without it the image
# CLS of these from-scratch runs barely varies between images and t2i stays
# near chance: configs/irm/README.md, "The T2I head on a collapsed CLS").
_base_ = ['./irm_vit-tiny_synth-omnireid-tiny.py']

model = dict(t2i_head=dict(img_neck=dict(type='BNNeck')))

max_iters = 800
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
