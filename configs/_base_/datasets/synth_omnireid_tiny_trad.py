# SynthOmniReID `tiny`, traditional ReID task. The data are generated into
# data_root on first use.
_base_ = ['./synth_omnireid_pipelines.py']

dataset_type = 'SynthOmniReID'
synth_args = dict(
    data_root='data/synth_omnireid_tiny', preset='tiny', seed=0, task='trad')

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        subset='train',
        pipeline=_base_.train_pipeline,
        **synth_args))
test_dataloader = dict(
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type=dataset_type,
                subset=subset,
                pipeline=_base_.test_pipeline,
                **synth_args) for subset in ('query', 'gallery')
        ]))
test_evaluator = dict(type='ReIDMetric')

val_dataloader = test_dataloader
val_evaluator = test_evaluator
