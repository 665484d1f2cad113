# SynthOmniReID `tiny`, all six tasks: multi-task training (one task per
# batch) and one test pass over the six query + six gallery sets. The data
# are generated into data_root on first use.
#
# Instructions: trad and vi use their fixed texts, li the clothes
# description, t2i the caption (as the query); cc and ctcc are given
# instruction IMAGES, as in the official code (which encodes the cc and ctcc
# instructions with its image instruction encoder): ctcc the garment
# template, cc the upper-body clothes crop of the image itself (the outfit
# to ignore). The generator writes both at 64x64, so they are loaded at
# that size (no upscaling to the paper's 128x128 on CPU).
dataset_type = 'SynthOmniReID'
synth_args = dict(data_root='data/synth_omnireid_tiny', preset='tiny', seed=0)
img_scale = (64, 128)  # (w, h)
instruction_img_scale = (64, 64)  # (w, h)


def _train_pipeline(with_instruction_img):
    return [
        dict(
            type='LoadReIDImage',
            with_instruction_img=with_instruction_img,
            instruction_img_scale=instruction_img_scale),
        dict(type='Resize', scale=img_scale, keep_ratio=False),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(
            type='RandomCrop',
            crop_size=(img_scale[1], img_scale[0]),
            padding=5),
        dict(type='RandomErasing', erase_prob=0.5, mode='rand'),
        dict(type='PackReIDInputs'),
    ]


def _test_pipeline(with_instruction_img):
    return [
        dict(
            type='LoadReIDImage',
            with_instruction_img=with_instruction_img,
            instruction_img_scale=instruction_img_scale),
        dict(type='Resize', scale=img_scale, keep_ratio=False),
        dict(type='PackReIDInputs'),
    ]


train_pipeline = _train_pipeline(False)
train_pipeline_instruction_img = _train_pipeline(True)
test_pipeline = _test_pipeline(False)
test_pipeline_instruction_img = _test_pipeline(True)

# Explicit lists (not comprehensions), so that --cfg-options can address
# one set, e.g. train_dataloader.dataset.datasets.2.pipeline, and
# train_dataloader.dataset.defaults.data_root moves all of them.
train_dataloader = dict(
    batch_size=32,  # = P x K of the sampler
    num_workers=1,
    persistent_workers=True,
    sampler=dict(
        type='MultiTaskPKSampler', num_pids=8, num_instances=4,
        ratios=None),  # sub-datasets drawn in proportion to size
    dataset=dict(
        type='ReIDConcatDataset',
        defaults=synth_args,  # data_root, preset and seed of every set
        datasets=[
            dict(
                type=dataset_type,
                task='trad',
                subset='train',
                pipeline=train_pipeline),
            dict(
                type=dataset_type,
                task='cc',
                subset='train',
                pipeline=train_pipeline_instruction_img),
            dict(
                type=dataset_type,
                task='ctcc',
                subset='train',
                pipeline=train_pipeline_instruction_img),
            dict(
                type=dataset_type,
                task='li',
                subset='train',
                pipeline=train_pipeline),
            dict(
                type=dataset_type,
                task='vi',
                subset='train',
                pipeline=train_pipeline),
            dict(
                type=dataset_type,
                task='t2i',
                subset='train',
                pipeline=train_pipeline),
        ]),
)

# Queries then galleries, task by task. PerDatasetBatchSampler closes a
# batch at every set boundary, so a batch holds one task and one kind of
# sample (caption-only t2i queries vs images), whatever the set sizes.
test_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    batch_sampler=dict(type='PerDatasetBatchSampler'),
    dataset=dict(
        type='ReIDConcatDataset',
        defaults=synth_args,  # data_root, preset and seed of every set
        datasets=[
            dict(
                type=dataset_type,
                task='trad',
                subset='query',
                pipeline=test_pipeline),
            dict(
                type=dataset_type,
                task='trad',
                subset='gallery',
                pipeline=test_pipeline),
            dict(
                type=dataset_type,
                task='cc',
                subset='query',
                pipeline=test_pipeline_instruction_img),
            dict(
                type=dataset_type,
                task='cc',
                subset='gallery',
                pipeline=test_pipeline_instruction_img),
            dict(
                type=dataset_type,
                task='ctcc',
                subset='query',
                pipeline=test_pipeline_instruction_img),
            dict(
                type=dataset_type,
                task='ctcc',
                subset='gallery',
                pipeline=test_pipeline_instruction_img),
            dict(
                type=dataset_type,
                task='li',
                subset='query',
                pipeline=test_pipeline),
            dict(
                type=dataset_type,
                task='li',
                subset='gallery',
                pipeline=test_pipeline),
            dict(
                type=dataset_type,
                task='vi',
                subset='query',
                pipeline=test_pipeline),
            dict(
                type=dataset_type,
                task='vi',
                subset='gallery',
                pipeline=test_pipeline),
            dict(
                type=dataset_type,
                task='t2i',
                subset='query',
                pipeline=test_pipeline),
            dict(
                type=dataset_type,
                task='t2i',
                subset='gallery',
                pipeline=test_pipeline),
        ]),
)
# Keys: synth_omnireid/<task>/{R1,R5,R10,mAP,mINP} for the six tasks.
test_evaluator = [
    dict(type='ReIDMetric', tasks=['trad', 'cc', 'ctcc', 'li', 'vi']),
    dict(type='T2IMetric', tasks=['t2i']),
]

val_dataloader = test_dataloader
val_evaluator = test_evaluator
