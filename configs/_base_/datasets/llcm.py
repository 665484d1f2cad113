# LLCM, visible-infrared ReID, both search directions (infrared to visible
# and visible to infrared) from one pass over the test images. Data: LLCM/
# under `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_dataloaders.py']

dataset_type = 'LLCM'
direction = 'ir2vis'

train_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(
    dataset=dict(defaults=dict(type=dataset_type, direction=direction)))
val_dataloader = test_dataloader
# Single-shot gallery (one image per identity and camera), 10 seeded trials.
# The metric pools the query (infrared) and gallery (visible) images and
# splits them by modality for each direction.
test_evaluator = dict(
    type='VIReIDMetric', num_trials=10, directions=('ir2vis', 'vis2ir'))
val_evaluator = test_evaluator
