# The `vi` specialist on SynthOmniReID `small` with the channel augmentation
# of irm-specialist-vi-grayscale_vit-tiny_synth-omnireid-tiny.py (half of the
# training images turned grey); everything else is
# irm-specialist-vi_vit-tiny_synth-omnireid-small.py.
_base_ = ['./irm-specialist-vi_vit-tiny_synth-omnireid-small.py']

train_dataloader = dict(
    dataset=dict(pipeline=[
        _base_.train_pipeline[0],
        dict(type='RandomGrayscale', prob=0.5, keep_channels=True),
        *_base_.train_pipeline[1:],
    ]))
