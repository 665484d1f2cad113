# irm_vit-tiny_synth-omnireid-small.py with the ALBEF-style text-to-image
# branch of irm-albef_vit-tiny_synth-omnireid-tiny.py; the queues hold
# 2,048 entries (the `small` t2i training list has 5,400 captions).
_base_ = [
    './irm_vit-tiny_synth-omnireid-small.py',
    '../_base_/models/albef-t2i-head_tiny.py',
]

model = dict(
    t2i_head=dict(
        _delete_=True, **_base_.albef_t2i_head_tiny, queue_size=2048))

custom_hooks = _base_.custom_hooks + [dict(type='T2IReRankHook')]
