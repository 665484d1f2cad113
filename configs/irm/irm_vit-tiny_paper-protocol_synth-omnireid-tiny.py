# The tiny IRM (irm_vit-tiny_synth-omnireid-tiny.py) tested under the
# official Instruct-ReID evaluator (configs/_base_/evaluators/
# omnireid_paper_protocol.py explains it): the CPU-sized twin of
# irm_vit-b_paper-protocol_omnireid.py, compared with the library's
# protocols in configs/irm/README.md.
_base_ = ['./irm_vit-tiny_synth-omnireid-tiny.py']

test_evaluator = [
    dict(
        type='ReIDMetric',
        protocol='official',
        prefix='official',
        tasks=['trad', 'cc', 'ctcc', 'li', 'vi']),
    dict(type='T2IMetric', tasks=['t2i']),
]
val_evaluator = test_evaluator
