# The `t2i` specialist on SynthOmniReID `tiny`: the parts of the IRM of
# ../irm_vit-tiny_all-tasks_synth-omnireid-tiny.py (the joint model) that t2i
# uses, the person ViT, the frozen MiniLM text encoder and the same T2I head
# (T2IHead: projections and an in-batch contrastive loss), trained on the t2i
# training list alone (8x4 batches of images with their captions) and tested
# on the t2i captions (queries) against the t2i gallery. No instruction
# branch; the ReID head has no ID classifier (nothing trains it). Same
# optimizer steps (1,500), schedule and batch as the joint model.
# irm-albef-specialist-t2i_vit-tiny_synth-omnireid-tiny.py is the specialist
# with the ALBEF-style head. See docs/en/advanced_guides/evidence.md.
_base_ = [
    '../../_base_/models/irm_vit-tiny.py',
    '../../_base_/datasets/synth_omnireid_tiny_singletask.py',
    '../../_base_/schedules/adamw_cosine_1500iters.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    instruction_blind=True,
    image_instruction_encoder=None,
    fusion=None,
    head=dict(num_classes=None))
train_dataloader = dict(dataset=dict(task='t2i'))
test_dataloader = dict(dataset=dict(defaults=dict(task='t2i')))
val_dataloader = test_dataloader
test_evaluator = [dict(type='T2IMetric', tasks=['t2i'])]
val_evaluator = test_evaluator
