# IRM on SynthOmniReID `small` (150 training identities per task, 6
# cameras): the tiny model with twice the schedule of the `tiny` run,
# evaluated once at the end.
_base_ = [
    '../_base_/models/irm_vit-tiny.py',
    '../_base_/datasets/synth_omnireid_small_multitask.py',
    '../_base_/schedules/adamw_cosine_1500iters.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(
        num_classes={
            'synth_omnireid/trad': 150,
            'synth_omnireid/cc': 150,
            'synth_omnireid/ctcc': 150,
            'synth_omnireid/li': 150,
            'synth_omnireid/vi': 150,
        }))

max_iters = 3000
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
