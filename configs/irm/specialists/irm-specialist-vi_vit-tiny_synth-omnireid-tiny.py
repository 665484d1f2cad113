# The `vi` specialist on SynthOmniReID `tiny`: the instruction-blind model of
# irm-specialist-trad_vit-tiny_synth-omnireid-tiny.py (vi's instruction is a
# fixed text too), trained on the vi training list alone and tested on the
# vi query (infrared) and gallery (visible) sets.
_base_ = ['./irm-specialist-trad_vit-tiny_synth-omnireid-tiny.py']

model = dict(
    head=dict(num_classes={
        '_delete_': True,
        'synth_omnireid/vi': 32
    }))
train_dataloader = dict(dataset=dict(task='vi'))
test_dataloader = dict(dataset=dict(defaults=dict(task='vi')))
val_dataloader = test_dataloader
test_evaluator = [dict(type='ReIDMetric', tasks=['vi'])]
val_evaluator = test_evaluator
