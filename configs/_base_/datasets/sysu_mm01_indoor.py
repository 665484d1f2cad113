# SYSU-MM01, visible-infrared ReID, indoor search: infrared queries against
# RGB cameras 1, 2. Everything else as in sysu_mm01.py.
_base_ = ['./sysu_mm01.py']

mode = 'indoor'

test_dataloader = dict(dataset=dict(defaults=dict(mode=mode)))
val_dataloader = test_dataloader
test_evaluator = dict(prefix=mode)
val_evaluator = test_evaluator
