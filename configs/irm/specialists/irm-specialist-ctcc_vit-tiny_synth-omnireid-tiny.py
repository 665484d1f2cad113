# The `ctcc` specialist on SynthOmniReID `tiny`: the model of
# irm-specialist-cc_vit-tiny_synth-omnireid-tiny.py (instruction images: here
# the garment template), trained on the ctcc training list alone and tested
# on the ctcc query and gallery sets (a true match wears the instructed
# outfit).
_base_ = ['./irm-specialist-cc_vit-tiny_synth-omnireid-tiny.py']

model = dict(
    head=dict(num_classes={
        '_delete_': True,
        'synth_omnireid/ctcc': 32
    }))
train_dataloader = dict(dataset=dict(task='ctcc'))
test_dataloader = dict(dataset=dict(defaults=dict(task='ctcc')))
val_dataloader = test_dataloader
test_evaluator = [dict(type='ReIDMetric', tasks=['ctcc'])]
val_evaluator = test_evaluator
