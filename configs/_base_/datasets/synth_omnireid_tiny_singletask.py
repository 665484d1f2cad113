# SynthOmniReID `tiny`, ONE task: its training list in identity-balanced
# P x K = 8 x 4 batches (PKSampler) and its query and gallery sets, for the
# single-task configs of configs/irm/specialists/. Pipelines, data root and
# loader settings are those of synth_omnireid_tiny_multitask.py.
#
# The task here is trad; a config picks another task with its pipelines
# (instruction images for cc and ctcc) and its metric, e.g.
#
#     train_dataloader = dict(dataset=dict(
#         task='cc', pipeline=_base_.train_pipeline_instruction_img))
#     test_dataloader = dict(dataset=dict(defaults=dict(
#         task='cc', pipeline=_base_.test_pipeline_instruction_img)))
#     val_dataloader = test_dataloader
#     test_evaluator = [dict(type='ReIDMetric', tasks=['cc'])]
#     val_evaluator = test_evaluator
#
# The metric's `tasks` gives the keys of the multi-task configs
# (synth_omnireid/<task>/<metric>), so that results compare key by key.
_base_ = ['./synth_omnireid_tiny_multitask.py']

train_dataloader = dict(
    batch_size=32,  # = P x K of the sampler
    sampler=dict(_delete_=True, type='PKSampler', num_pids=8, num_instances=4),
    dataset=dict(
        _delete_=True,
        type=_base_.dataset_type,
        task='trad',
        subset='train',
        pipeline=_base_.train_pipeline,
        **_base_.synth_args))

# A ReIDConcatDataset of the query and the gallery set: PerDatasetBatchSampler
# keeps caption-only t2i queries and gallery images in separate batches.
test_dataloader = dict(
    dataset=dict(
        defaults=dict(task='trad', pipeline=_base_.test_pipeline),
        datasets=[
            dict(type=_base_.dataset_type, subset=subset)
            for subset in ('query', 'gallery')
        ]))
val_dataloader = test_dataloader
test_evaluator = [dict(type='ReIDMetric', tasks=['trad'])]
val_evaluator = test_evaluator
