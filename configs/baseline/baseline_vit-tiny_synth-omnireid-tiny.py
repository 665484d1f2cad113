# Strong image-only baseline on the `trad` task of SynthOmniReID `tiny`,
# sized to train and evaluate on a 2-core CPU.
_base_ = [
    '../_base_/models/baseline_vit-tiny.py',
    '../_base_/datasets/synth_omnireid_tiny_trad.py',
    '../_base_/schedules/adamw_cosine_1500iters.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=32))  # training identities of `tiny`

default_hooks = dict(
    checkpoint=dict(interval=500, save_best='trad/mAP', rule='greater'))
