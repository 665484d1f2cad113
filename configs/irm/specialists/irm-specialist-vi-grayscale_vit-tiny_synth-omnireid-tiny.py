# The `vi` specialist on SynthOmniReID `tiny` with the channel augmentation
# of visible-infrared ReID: half of the training images are turned grey
# (RandomGrayscale, three equal channels) before the usual augmentation,
# so that the model cannot tell identities apart by colour alone, which the
# infrared queries do not have. The infrared training images are grey
# already. Everything else is
# irm-specialist-vi_vit-tiny_synth-omnireid-tiny.py.
_base_ = ['./irm-specialist-vi_vit-tiny_synth-omnireid-tiny.py']

train_dataloader = dict(
    dataset=dict(pipeline=[
        _base_.train_pipeline[0],
        dict(type='RandomGrayscale', prob=0.5, keep_channels=True),
        *_base_.train_pipeline[1:],
    ]))
