# The `li` specialist on SynthOmniReID `small`:
# irm-specialist-li_vit-tiny_synth-omnireid-tiny.py on the `small` data
# (150 training identities) for the 3,000 optimizer steps of the joint model
# ../irm_vit-tiny_all-tasks_synth-omnireid-small.py, evaluated once at the end.
_base_ = ['./irm-specialist-li_vit-tiny_synth-omnireid-tiny.py']

synth_args = dict(data_root='data/synth_omnireid_small', preset='small')
train_dataloader = dict(dataset=synth_args)
test_dataloader = dict(dataset=dict(defaults=synth_args))
val_dataloader = test_dataloader
model = dict(head=dict(num_classes={'synth_omnireid/li': 150}))

max_iters = 3000
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
