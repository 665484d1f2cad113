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
_base_ = ['./synth_omnireid_pipelines.py']

dataset_type = 'SynthOmniReID'
synth_args = dict(data_root='data/synth_omnireid_tiny', preset='tiny', seed=0)
instruction_img_scale = (64, 64)  # (w, h)


def _loading(pipeline, with_instruction_img):
    """``pipeline`` whose LoadReIDImage loads the instruction image or not."""
    load = dict(
        pipeline[0],
        with_instruction_img=with_instruction_img,
        instruction_img_scale=instruction_img_scale)
    return [load, *pipeline[1:]]


train_pipeline = _loading(_base_.train_pipeline, False)
train_pipeline_instruction_img = _loading(_base_.train_pipeline, True)
test_pipeline = _loading(_base_.test_pipeline, False)
test_pipeline_instruction_img = _loading(_base_.test_pipeline, True)


def _sets(subsets, pipeline, pipeline_instruction_img):
    """A dataset config for each task (in this order) and subset; data_root,
    preset and seed come from the `defaults` of the concatenation."""
    return [
        dict(
            type=dataset_type,
            task=task,
            subset=subset,
            pipeline=(pipeline_instruction_img
                      if task in ('cc', 'ctcc') else pipeline))
        for task in ('trad', 'cc', 'ctcc', 'li', 'vi', 't2i')
        for subset in subsets
    ]


# --cfg-options address one set by its index, e.g.
# train_dataloader.dataset.datasets.2.pipeline (ctcc), and
# train_dataloader.dataset.defaults.data_root moves all of them.
train_dataloader = dict(
    # Sub-datasets drawn in proportion to their sizes.
    sampler=dict(type='MultiTaskPKSampler', ratios=None),
    dataset=dict(
        type='ReIDConcatDataset',
        defaults=synth_args,
        datasets=_sets(['train'], train_pipeline,
                       train_pipeline_instruction_img)))

# Queries then galleries, task by task. PerDatasetBatchSampler closes a
# batch at every set boundary, so a batch holds one task and one kind of
# sample (caption-only t2i queries vs images), whatever the set sizes.
test_dataloader = dict(
    drop_last=False,
    batch_sampler=dict(type='PerDatasetBatchSampler'),
    dataset=dict(
        type='ReIDConcatDataset',
        defaults=synth_args,
        datasets=_sets(['query', 'gallery'], test_pipeline,
                       test_pipeline_instruction_img)))
# Keys: synth_omnireid/<task>/{R1,R5,R10,mAP,mINP} for the six tasks.
test_evaluator = [
    dict(type='ReIDMetric', tasks=['trad', 'cc', 'ctcc', 'li', 'vi']),
    dict(type='T2IMetric', tasks=['t2i']),
]

val_dataloader = test_dataloader
val_evaluator = test_evaluator
