# OmniReID, the paper's joint training set: the official Instruct-ReID list
# files of ten training lists (six tasks) and ten test sets, read with
# OmniReIDList. Each benchmark lives under its task root in data/omnireid/
# (the tree is in docs/en/user_guides/dataset_prepare.md); tools/train.py
# and tools/test.py stop at once and say what to download when a list or
# root is missing.
data_root = 'data/omnireid/'
dataset_type = 'OmniReIDList'
img_scale = (128, 256)  # (w, h)
instruction_img_scale = (128, 128)  # (w, h)


def _train_pipeline(with_instruction_img):
    return [
        dict(
            type='LoadReIDImage',
            with_instruction_img=with_instruction_img,
            instruction_img_scale=instruction_img_scale),
        dict(
            type='ColorJitter',
            brightness=0.5,
            contrast=0.5,
            saturation=0.5,
            hue=0.4),
        dict(type='Resize', scale=img_scale, keep_ratio=False),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(
            type='RandomCrop',
            crop_size=(img_scale[1], img_scale[0]),
            padding=10),
        # The official erasing: p 0.9, area 0.02-0.2, one solid colour.
        dict(type='RandomSolidErasing'),
        dict(type='PackReIDInputs'),
    ]


def _test_pipeline(with_instruction_img):
    return [
        dict(
            type='LoadReIDImage',
            with_instruction_img=with_instruction_img,
            instruction_img_scale=instruction_img_scale),
        dict(type='Resize', scale=img_scale, keep_ratio=False),
        dict(type='PackReIDInputs'),
    ]


# cc and ctcc instructions are images (clothes crops, garment templates).
def _uses_instruction_img(task):
    return task in ('cc', 'ctcc')


def _list(root, list_file, task, subset, name, **kwargs):
    return dict(
        type=dataset_type,
        data_root=data_root + root,
        list_file=list_file,
        task=task,
        subset=subset,
        dataset_name=name,
        **kwargs)


def _train(root, list_file, task, name, **kwargs):
    pipeline = _train_pipeline(_uses_instruction_img(task))
    return _list(
        root, list_file, task, 'train', name, pipeline=pipeline, **kwargs)


def _test(root, query, gallery, task, name, **kwargs):
    pipeline = _test_pipeline(_uses_instruction_img(task))
    return [
        _list(root, query, task, 'query', name, pipeline=pipeline, **kwargs),
        _list(
            root, gallery, task, 'gallery', name, pipeline=pipeline, **kwargs),
    ]


real1_captions = 'datalist/runner_real1_v1_gpt.json'
real2_captions = 'datalist/runner_real2_v1_gpt.json'
pedes_captions = 'caption_t2i_v2.json'

# The ten training lists of the paper, each with its own ID classifier
# (keys '<dataset_name>/<task>' of model.head.num_classes).
train_lists = [
    _train('real1', 'datalist/train_ctcc.txt', 'ctcc', 'real1'),
    _train('market', 'datalist/train.txt', 'trad', 'market'),
    _train('msmt', 'datalist/train.txt', 'trad', 'msmt'),
    _train('cuhk', 'datalist/train.txt', 'trad', 'cuhk'),
    _train('ltcc', 'datalist/train.txt', 'cc', 'ltcc'),
    _train('llcm', 'train.txt', 'vi', 'llcm'),
    _train(
        'CUHK-Pedes',
        'train_t2i_v2.txt',
        't2i',
        'cuhk_pedes',
        caption_file=pedes_captions),
    _train(
        'real1',
        'datalist/train_attr.txt',
        'li',
        'real1',
        caption_file=real1_captions),
    _train('prcc', 'datalist/train.txt', 'cc', 'prcc'),
    # The list the official joint config (scripts/config_joint.yaml) reads.
    _train('vc_clothes', 'datalist/train_cc_clo.txt', 'cc', 'vc_clothes'),
]

# The paper's mode, as the official joint config (scripts/config_joint.yaml)
# trains: every optimizer step holds one batch of every training list, each
# list's loss weighted 1; P x K = 32 x 4 for the ReID lists and 24 x 1 for
# the t2i list, as its data builders draw them. (The official config also
# trains a PLIP t2i list with 6 of 16 GPU groups, i.e. 6 batches per step;
# it is not among these lists: configs/irm/irm_vit-b_omnireid.py has it as a
# commented entry with `shares` 6.) Needs
# train_cfg = dict(type='AllTasksTrainLoop') (as in that config); one task
# per step instead: configs/irm/irm_vit-b_one-task_omnireid.py. See
# docs/en/advanced_guides/multi_task_sampling.md.
train_dataloader = dict(
    batch_size=None,  # each list's P x K is set by the batch sampler
    num_workers=8,
    persistent_workers=True,
    # Gives the batch sampler the dataset and the seed; never iterated.
    sampler=dict(type='DefaultSampler', shuffle=False),
    batch_sampler=dict(
        type='AllTasksPKSampler',
        num_pids=[24 if d['task'] == 't2i' else 32 for d in train_lists],
        num_instances=[1 if d['task'] == 't2i' else 4 for d in train_lists],
        shares=1,
        loss_weights=1,
        split_across_ranks=True),
    dataset=dict(type='ReIDConcatDataset', datasets=train_lists),
)

test_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    batch_sampler=dict(type='PerDatasetBatchSampler'),
    dataset=dict(
        type='ReIDConcatDataset',
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
                      caption_file=pedes_captions))),
)
# Keys <dataset_name>/<task>/{R1,R5,R10,mAP,mINP}; each family of test
# sets with its benchmark protocol.
test_evaluator = [
    dict(type='ReIDMetric', dataset_names=['market', 'msmt', 'cuhk']),
    dict(
        type='ReIDMetric',
        dataset_names=['ltcc', 'prcc', 'vc_clothes'],
        protocol=dict(clothes_mode='cc')),
    dict(type='ReIDMetric', dataset_names=['real2']),  # ctcc and li
    dict(type='VIReIDMetric', dataset_names=['llcm']),
    dict(type='T2IMetric', dataset_names=['cuhk_pedes']),
]

val_dataloader = test_dataloader
val_evaluator = test_evaluator
