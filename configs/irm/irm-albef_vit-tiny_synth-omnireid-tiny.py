# IRM on SynthOmniReID `tiny` with the ALBEF-style text-to-image branch of
# the paper config at CPU size (../_base_/models/albef-t2i-head_tiny.py):
# the model, data and schedule of irm_vit-tiny_synth-omnireid-tiny.py, but
# t2i is trained with image-text contrast against queues with momentum
# distillation, image-text matching with hard negatives, masked language
# modelling and replaced-token detection. Tested by the contrastive
# similarity; the ITM re-rank of the paper config is one option away
# (../_base_/models/albef-t2i-head_tiny.py).
#
# The queues hold 512 entries, one pass over the `tiny` t2i training list
# (512 captions), so that they do not keep stale features for long.
_base_ = [
    './irm_vit-tiny_synth-omnireid-tiny.py',
    '../_base_/models/albef-t2i-head_tiny.py',
]

model = dict(
    t2i_head=dict(_delete_=True, **_base_.albef_t2i_head_tiny, queue_size=512))

custom_hooks = _base_.custom_hooks + [dict(type='T2IReRankHook')]
