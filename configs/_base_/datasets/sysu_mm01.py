# SYSU-MM01, visible-infrared ReID, all-search: infrared queries against RGB
# cameras 1, 2, 4, 5 (sysu_mm01_indoor.py for indoor search). Data:
# SYSU-MM01/ under `data/` (see docs/en/user_guides/dataset_prepare.md).
_base_ = ['./benchmark_dataloaders.py']

dataset_type = 'SYSUMM01'
mode = 'all'

train_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = dict(
    dataset=dict(defaults=dict(type=dataset_type, mode=mode)))
val_dataloader = test_dataloader
# Single-shot gallery (one image per identity and camera), 10 seeded trials.
test_evaluator = dict(
    type='VIReIDMetric', num_trials=10, sysu_camera_skip=True, prefix=mode)
val_evaluator = test_evaluator
