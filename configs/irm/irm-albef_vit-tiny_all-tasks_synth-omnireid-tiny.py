# irm-albef_vit-tiny_synth-omnireid-tiny.py (IRM with the ALBEF-style T2I
# branch) in the "all tasks per step" mode of
# irm_vit-tiny_all-tasks_synth-omnireid-tiny.py: every optimizer step holds
# one 8x4 batch of each of the six training lists, for 1,500 steps. The
# joint model that specialists/irm-albef-specialist-t2i_*.py is compared
# with (docs/en/advanced_guides/evidence.md).
_base_ = [
    './irm_vit-tiny_all-tasks_synth-omnireid-tiny.py',
    '../_base_/models/albef-t2i-head_tiny.py',
]

model = dict(
    t2i_head=dict(_delete_=True, **_base_.albef_t2i_head_tiny, queue_size=512))

custom_hooks = _base_.custom_hooks + [dict(type='T2IReRankHook')]
