# The paper setting (irm_vit-b_omnireid.py) tested under the official
# Instruct-ReID evaluator instead of the library's benchmark protocols;
# the two are compared in configs/irm/README.md. Training with this config
# is training with irm_vit-b_omnireid.py (its validation then uses the
# official evaluator too).
_base_ = [
    './irm_vit-b_omnireid.py',
    '../_base_/evaluators/omnireid_paper_protocol.py',
]

test_evaluator = {{_base_.paper_protocol_evaluator}}
val_evaluator = test_evaluator
