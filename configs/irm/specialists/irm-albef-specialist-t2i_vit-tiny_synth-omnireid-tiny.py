# The `t2i` specialist of the ALBEF-style joint model
# (../irm-albef_vit-tiny_all-tasks_synth-omnireid-tiny.py):
# irm-specialist-t2i_vit-tiny_synth-omnireid-tiny.py with that model's T2I
# head (ALBEFT2IHead at CPU size, queues of 512 entries) and its test-time
# ITM re-ranking of each caption's 128 most similar images.
_base_ = [
    './irm-specialist-t2i_vit-tiny_synth-omnireid-tiny.py',
    '../../_base_/models/albef-t2i-head_tiny.py',
]

model = dict(
    t2i_head=dict(_delete_=True, **_base_.albef_t2i_head_tiny, queue_size=512))
test_evaluator = [
    dict(type='T2IMetric', tasks=['t2i'], rerank=_base_.t2i_rerank)
]
val_evaluator = test_evaluator
custom_hooks = _base_.custom_hooks + [dict(type='T2IReRankHook')]
