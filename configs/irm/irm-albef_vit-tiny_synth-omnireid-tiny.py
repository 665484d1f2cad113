# IRM on SynthOmniReID `tiny` with the ALBEF-style text-to-image branch of
# the paper config at CPU size (../_base_/models/albef-t2i-head_tiny.py):
# the model, data and schedule of irm_vit-tiny_synth-omnireid-tiny.py, but
# t2i is trained with image-text contrast against queues with momentum
# distillation, image-text matching with hard negatives, masked language
# modelling and replaced-token detection, and tested with ITM re-ranking of
# each caption's 128 most similar images.
#
# The queues hold 512 entries, one pass over the `tiny` t2i training list
# (512 captions), so that they do not keep stale features for long.
_base_ = [
    './irm_vit-tiny_synth-omnireid-tiny.py',
    '../_base_/models/albef-t2i-head_tiny.py',
]

model = dict(
    t2i_head=dict(_delete_=True, **_base_.albef_t2i_head_tiny, queue_size=512))

val_evaluator = [
    dict(m, rerank=_base_.t2i_rerank) if m['type'] == 'T2IMetric' else m
    for m in _base_.val_evaluator
]
test_evaluator = val_evaluator
custom_hooks = _base_.custom_hooks + [dict(type='T2IReRankHook')]
