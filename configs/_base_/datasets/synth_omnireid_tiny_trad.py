# SynthOmniReID `tiny`, traditional ReID task. The data are generated into
# data_root on first use.
dataset_type = 'SynthOmniReID'
synth_args = dict(
    data_root='data/synth_omnireid_tiny', preset='tiny', seed=0, task='trad')
img_scale = (64, 128)  # (w, h)

train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=(img_scale[1], img_scale[0]), padding=5),
    dict(type='RandomErasing', erase_prob=0.5, mode='rand'),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackReIDInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='PKSampler', num_pids=8, num_instances=4),
    dataset=dict(
        type=dataset_type,
        subset='train',
        pipeline=train_pipeline,
        **synth_args),
)

test_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type=dataset_type,
                subset='query',
                pipeline=test_pipeline,
                **synth_args),
            dict(
                type=dataset_type,
                subset='gallery',
                pipeline=test_pipeline,
                **synth_args),
        ]),
)
test_evaluator = dict(type='ReIDMetric')

val_dataloader = test_dataloader
val_evaluator = test_evaluator
