# SynthOmniReID `small`, all six tasks: the `tiny` multi-task data config
# (see there) with the `small` preset in its own folder.
_base_ = ['./synth_omnireid_tiny_multitask.py']

synth_args = dict(
    data_root='data/synth_omnireid_small', preset='small', seed=0)
train_dataloader = dict(dataset=dict(defaults=synth_args))
test_dataloader = dict(dataset=dict(defaults=synth_args))
val_dataloader = dict(dataset=dict(defaults=synth_args))
