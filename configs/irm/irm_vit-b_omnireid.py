# Instruct-ReID (IRM), the paper setting: one model trained jointly on the
# ten OmniReID training lists (all six tasks) for 24,000 iterations and
# evaluated on the ten test sets. Give the pretrained weights in
# configs/_base_/models/irm_vit-b.py (or a child config).
_base_ = [
    '../_base_/models/irm_vit-b.py',
    '../_base_/datasets/omnireid_joint.py',
    '../_base_/schedules/adamw_cosine_24k.py',
    '../_base_/default_runtime.py',
]

# Training identities of each list (one classifier per '<dataset_name>/
# <task>'; t2i trains the T2I head). The Real1 lists are assumed to hold all
# 5,266 Real1 identities; a label out of range stops training with an error
# naming the classifier, so check the counts of your copy of the lists.
model = dict(
    head=dict(
        num_classes={
            'real1/ctcc': 5266,
            'market/trad': 751,
            'msmt/trad': 1041,
            'cuhk/trad': 767,
            'ltcc/cc': 77,
            'llcm/vi': 713,
            'real1/li': 5266,
            'prcc/cc': 150,
            'vc_clothes/cc': 256,
        }))

default_hooks = dict(checkpoint=dict(interval=4000))
