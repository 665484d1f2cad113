# LLCM, visible-infrared ReID, both search directions (infrared to visible
# and visible to infrared) from one pass over the test images. Data: LLCM/
# under `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_pipelines.py']

dataset_type = 'LLCM'
data_root = 'data'
direction = 'ir2vis'

train_dataloader = dict(
    **_base_.train_loader_args,
    sampler=_base_.train_sampler,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        subset='train',
        pipeline=_base_.train_pipeline))

test_dataloader = dict(
    **_base_.test_loader_args,
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type=dataset_type,
                data_root=data_root,
                subset='query',
                direction=direction,
                pipeline=_base_.test_pipeline),
            dict(
                type=dataset_type,
                data_root=data_root,
                subset='gallery',
                direction=direction,
                pipeline=_base_.test_pipeline),
        ]))
# Single-shot gallery (one image per identity and camera), 10 seeded trials.
# The metric pools the query (infrared) and gallery (visible) images and
# splits them by modality for each direction.
test_evaluator = dict(
    type='VIReIDMetric', num_trials=10, directions=('ir2vis', 'vis2ir'))

val_dataloader = test_dataloader
val_evaluator = test_evaluator
