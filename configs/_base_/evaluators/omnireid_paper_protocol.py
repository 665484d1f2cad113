# The OmniReID test sets under the official Instruct-ReID evaluator (the
# protocol of the paper's tables), for comparison with published numbers.
# Use it as configs/irm/irm_vit-b_paper-protocol_omnireid.py does: list
# this file among the bases and set
#   test_evaluator = {{_base_.paper_protocol_evaluator}}
#
# Every ReID test set is ranked by squared Euclidean distance and scored on
# the first 500 items of the ranking (same-pid same-camera items dropped
# there, AP divided by the true matches inside those 500), a true match is
# the same pid whatever the clothes (also for cc, ctcc and li), pid -1 is a
# negative, and LLCM is one multi-shot search of its query list against its
# gallery list with the list's cameras. Keys: official/<dataset>/<task>/...
# The t2i set is ranked as the official evaluator does: image-text cosine
# similarity, then each caption's top 128 images re-ranked by the ITM head
# (needs a model with an ITM head, ALBEFT2IHead, and
# custom_hooks=[..., dict(type='T2IReRankHook')]).
# Details and differences: docs/en/advanced_guides/evaluation.md.
paper_protocol_evaluator = [
    dict(
        type='ReIDMetric',
        protocol='official',
        prefix='official',
        dataset_names=[
            'market', 'msmt', 'cuhk', 'ltcc', 'prcc', 'vc_clothes', 'real2',
            'llcm'
        ]),
    dict(
        type='T2IMetric', dataset_names=['cuhk_pedes'], rerank=dict(topk=128)),
]
