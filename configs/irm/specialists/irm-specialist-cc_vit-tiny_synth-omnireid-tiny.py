# The `cc` specialist on SynthOmniReID `tiny`: the IRM of
# ../irm_vit-tiny_all-tasks_synth-omnireid-tiny.py (the joint model) with its
# instruction branch (the image instruction encoder for the clothes crop that
# cc gives as instruction, the editing fusion, the u/v losses), without the
# T2I head, trained on the cc training list alone and tested on the cc query
# and gallery sets. Same optimizer steps (1,500), schedule and batch as the
# joint model, whose every step holds one 8x4 batch of each list.
# See docs/en/advanced_guides/evidence.md.
_base_ = [
    '../../_base_/models/irm_vit-tiny.py',
    '../../_base_/datasets/synth_omnireid_tiny_singletask.py',
    '../../_base_/schedules/adamw_cosine_1500iters.py',
    '../../_base_/default_runtime.py',
]

model = dict(t2i_head=None, head=dict(num_classes={'synth_omnireid/cc': 32}))
train_dataloader = dict(
    dataset=dict(task='cc', pipeline=_base_.train_pipeline_instruction_img))
test_dataloader = dict(
    dataset=dict(
        defaults=dict(
            task='cc', pipeline=_base_.test_pipeline_instruction_img)))
val_dataloader = test_dataloader
test_evaluator = [dict(type='ReIDMetric', tasks=['cc'])]
val_evaluator = test_evaluator
