# The `t2i` specialist of the ALBEF-style joint model on SynthOmniReID
# `small` (../irm-albef_vit-tiny_all-tasks_synth-omnireid-small.py):
# irm-albef-specialist-t2i_vit-tiny_synth-omnireid-tiny.py on the `small`
# data, with queues of 2,048 entries (the `small` t2i training list has
# 5,400 captions), for 3,000 optimizer steps, evaluated once at the end.
_base_ = ['./irm-albef-specialist-t2i_vit-tiny_synth-omnireid-tiny.py']

synth_args = dict(data_root='data/synth_omnireid_small', preset='small')
train_dataloader = dict(dataset=synth_args)
test_dataloader = dict(dataset=dict(defaults=synth_args))
val_dataloader = test_dataloader
model = dict(t2i_head=dict(queue_size=2048))

max_iters = 3000
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
