# The `t2i` specialist of the ALBEF-style joint model
# (../irm-albef_vit-tiny_all-tasks_synth-omnireid-tiny.py):
# irm-specialist-t2i_vit-tiny_synth-omnireid-tiny.py with that model's T2I
# head (ALBEFT2IHead at CPU size, queues of 512 entries), ranked as that
# model ranks t2i (contrastive similarity; the ITM re-rank is an option, see
# ../../_base_/models/albef-t2i-head_tiny.py).
_base_ = [
    './irm-specialist-t2i_vit-tiny_synth-omnireid-tiny.py',
    '../../_base_/models/albef-t2i-head_tiny.py',
]

model = dict(
    t2i_head=dict(_delete_=True, **_base_.albef_t2i_head_tiny, queue_size=512))
custom_hooks = _base_.custom_hooks + [dict(type='T2IReRankHook')]
