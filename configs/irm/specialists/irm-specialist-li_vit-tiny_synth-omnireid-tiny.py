# The `li` specialist on SynthOmniReID `tiny`: the IRM of
# ../irm_vit-tiny_all-tasks_synth-omnireid-tiny.py (the joint model) with its
# text instruction branch (the frozen MiniLM text encoder for the clothes
# description, the editing fusion, the u/v losses), without the image
# instruction encoder and the T2I head, trained on the li training list alone
# and tested on the li query and gallery sets (a true match wears the
# described outfit). Same optimizer steps (1,500), schedule and batch as the
# joint model, whose every step holds one 8x4 batch of each list.
# See docs/en/advanced_guides/evidence.md.
_base_ = [
    '../../_base_/models/irm_vit-tiny.py',
    '../../_base_/datasets/synth_omnireid_tiny_singletask.py',
    '../../_base_/schedules/adamw_cosine_1500iters.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    image_instruction_encoder=None,
    t2i_head=None,
    head=dict(num_classes={'synth_omnireid/li': 32}))
train_dataloader = dict(dataset=dict(task='li'))
test_dataloader = dict(dataset=dict(defaults=dict(task='li')))
val_dataloader = test_dataloader
test_evaluator = [dict(type='ReIDMetric', tasks=['li'])]
val_evaluator = test_evaluator
