"""The effective (merged) config of every file under ``configs/`` stays what
it was before the configs were made to inherit from each other.

Each config is loaded with ``Config.fromfile`` and its ``to_dict()`` (as
JSON) is compared with its snapshot under ``tests/data/effective_configs/``
(same relative path, ``.json``), after the deliberate changes recorded in
``EXPECTED_CHANGES`` have been applied to the snapshot. A failure lists the
differing keys.

A deliberate change of an effective config is recorded in one of two ways:

- a row ``(key_path, old, new)`` in ``EXPECTED_CHANGES`` (the test checks
  that the snapshot holds ``old`` and the config ``new``);
- or new snapshots, written by (then delete the rows the test reports as
  already applied)::

      python tests/test_configs/test_effective_configs.py --update [GLOB ...]

  GLOBs are config paths relative to ``configs/`` (``irm/*.py``); without
  one, every snapshot is rewritten and those of removed configs deleted.
"""
import copy
import fnmatch
import glob
import json
import os
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO, 'configs')
SNAPSHOT_DIR = osp.join(REPO, 'tests', 'data', 'effective_configs')
UPDATE_COMMAND = 'python tests/test_configs/test_effective_configs.py --update'


class _Absent:
    """The value at a key path that does not exist (a key added or
    removed)."""

    def __repr__(self):
        return 'ABSENT'


ABSENT = _Absent()

# The test pipeline of the benchmark configs, as JSON holds it.
BENCHMARK_TEST_PIPELINE = [
    dict(type='LoadReIDImage'),
    dict(type='Resize', scale=[128, 256]),
    dict(type='PackReIDInputs'),
]


def rows_in_test_and_val(kind, rows):
    """``(key_path, old, new)`` rows of both ``test_<kind>`` and
    ``val_<kind>`` from rows whose key paths are relative to them.

    Args:
        kind (str): ``'dataloader'`` or ``'evaluator'``.
        rows (list[tuple]): ``(relative key_path, old, new)`` rows.

    Returns:
        list[tuple]: ``(key_path, old, new)`` rows.
    """
    return [(f'{split}_{kind}.{key_path}', old, new)
            for split in ('test', 'val') for key_path, old, new in rows]


def defaults_rows(dataset_type, query=None, **shared):
    """Rows of a benchmark whose query and gallery sets moved their shared
    arguments from each set of a ``ConcatDataset`` to the ``defaults`` of a
    ``ReIDConcatDataset`` (the same dataset configs once the defaults are
    applied), in its test and val loaders.

    Args:
        dataset_type (str): The benchmark's dataset class.
        query (dict, optional): Arguments of the query set only.
        **shared: Other arguments of both sets.

    Returns:
        list[tuple]: ``(key_path, old, new)`` rows.
    """
    shared = dict(
        type=dataset_type,
        data_root='data',
        pipeline=BENCHMARK_TEST_PIPELINE,
        **shared)
    sets = [dict(subset='query', **(query or {})), dict(subset='gallery')]
    old_sets = [dict(shared, **s) for s in sets]
    return rows_in_test_and_val('dataloader', [
        ('dataset.type', 'ConcatDataset', 'ReIDConcatDataset'),
        ('dataset.defaults', ABSENT, shared),
        ('dataset.datasets', old_sets, sets),
    ])


# ReIDMetric takes its protocol keywords as one `protocol` dict: the
# clothes-changing metric (second in the evaluator list) of these configs.
CLOTHES_MODE_ROWS = rows_in_test_and_val('evaluator', [
    ('1.clothes_mode', 'cc', ABSENT),
    ('1.protocol', ABSENT, dict(clothes_mode='cc')),
])

# The IRM configs whose snapshots predate the rows that use this (configs
# added later have snapshots that already hold the new values).
IRM_CONFIGS_BEFORE = ('irm/irm_vit-b_omnireid.py', 'irm/irm_vit-tiny_synth-*',
                      'irm/irm-blind_*')

# The official training data of the paper setting: its random erasing in
# every training pipeline and the VC-Clothes list its joint config reads.
_OLD_ERASING = dict(type='RandomErasing', erase_prob=0.5, mode='rand')
_NEW_ERASING = dict(type='RandomSolidErasing')
OFFICIAL_TRAIN_DATA_ROWS = []
for _lists in ('train_lists', 'train_dataloader.dataset.datasets'):
    OFFICIAL_TRAIN_DATA_ROWS += [(f'{_lists}.{i}.pipeline.5', _OLD_ERASING,
                                  _NEW_ERASING) for i in range(10)]
    OFFICIAL_TRAIN_DATA_ROWS.append(
        (f'{_lists}.9.list_file', 'datalist/train.txt',
         'datalist/train_cc_clo.txt'))

# The paper config's official head, instruction texts, caption cleaning and
# clothes-image normalisation.
_OFFICIAL_TEXTS = dict(instruction_style='official', clean_captions=True)
PAPER_HEAD_AND_TEXT_ROWS = [
    ('model.head.loss_cls.label_smoothing', 0.1, 0.0),
    ('model.head.share_uv_neck', ABSENT, True),
    ('model.head.uv_triplet_after_bn', ABSENT, True),
    ('model.data_preprocessor.train_instruction_mean', ABSENT,
     [122.7709383, 116.7460125, 104.09373615]),
    ('model.data_preprocessor.train_instruction_std', ABSENT,
     [68.5005327, 66.6321579, 70.32316305]),
    ('train_dataloader.dataset.defaults', ABSENT, _OFFICIAL_TEXTS),
] + rows_in_test_and_val('dataloader',
                         [('dataset.defaults', ABSENT, _OFFICIAL_TEXTS)])

# The paper's mode, in the paper config and the configs made from it
# before it: every optimizer step holds one batch of every training list.
PAPER_CONFIGS_BEFORE_ALL_TASKS = ('irm/irm_vit-b_omnireid.py',
                                  'irm/irm_vit-b-*16_omnireid.py',
                                  'irm/irm_vit-b_paper-protocol_omnireid.py')
ALL_TASKS_DATA_ROWS = [
    ('train_dataloader.batch_size', 128, None),
    ('train_dataloader.sampler',
     dict(
         type='MultiTaskPKSampler',
         num_pids=32,
         num_instances=4,
         ratios=[1] * 10), dict(type='DefaultSampler', shuffle=False)),
    ('train_dataloader.batch_sampler', ABSENT,
     dict(
         type='AllTasksPKSampler',
         num_pids=[32] * 6 + [24] + [32] * 3,
         num_instances=[4] * 6 + [1] + [4] * 3,
         shares=1,
         loss_weights=1,
         split_across_ranks=True)),
]

# The paper's pretrained initialisation (PASS and ALBEF, converted; training
# refuses to start without them) and the official model's part tokens,
# tokenisation and editing blocks (padding visible, tied to backbone blocks).
_PASS = 'pretrained/pass_vit_base_full_mmreid.pth'
_ALBEF = 'pretrained/albef_mmreid.pth'


def _albef_init(prefix):
    return dict(type='Pretrained', checkpoint=_ALBEF, prefix=prefix)


PRETRAINED_INIT_ROWS = [
    ('vit_checkpoint', None, ABSENT),
    ('bert_folder', None, ABSENT),
    ('vit_init_cfg', None, ABSENT),
    ('pass_checkpoint', ABSENT, _PASS),
    ('albef_checkpoint', ABSENT, _ALBEF),
    ('allow_random_init', ABSENT, False),
    ('required_pretrained', ABSENT, [
        dict(
            path=_PASS,
            what='PASS ViT-B/16, converted',
            get='pass_vit_base_full.pth, linked from "Prepare Pre-trained '
            'Models" in the README of github.com/hwz-zju/Instruct-ReID (a '
            'Google Drive file of the PASS authors), saved as '
            'pretrained/pass_vit_base_full.pth',
            convert='python tools/model_converters/pass_to_mmreid.py '
            'pretrained/pass_vit_base_full.pth ' + _PASS),
        dict(
            path=_ALBEF,
            what='ALBEF (14M images), converted',
            get='https://storage.googleapis.com/sfr-pcl-data-research/'
            'ALBEF/ALBEF.pth (also linked from that README), saved as '
            'pretrained/ALBEF.pth',
            convert='python tools/model_converters/albef_to_mmreid.py '
            'pretrained/ALBEF.pth ' + _ALBEF),
    ]),
    ('model.backbone.type', 'mmpretrain.VisionTransformer',
     'PASSVisionTransformer'),
    ('model.backbone.num_part_tokens', ABSENT, 3),
    ('model.backbone.init_cfg', None,
     dict(type='Pretrained', checkpoint=_PASS, prefix='backbone.')),
    ('model.image_instruction_encoder.backbone.init_cfg', None, ABSENT),
    ('model.image_instruction_encoder.init_cfg', ABSENT,
     _albef_init('image_instruction_encoder.')),
    ('model.text_encoder.config', ABSENT, dict(vocab_size=30522)),
    ('model.text_encoder.add_sep_token', ABSENT, False),
    ('model.text_encoder.pad_to_max_length', ABSENT, True),
    ('model.text_encoder.init_cfg', ABSENT, _albef_init('text_encoder.')),
    ('model.fusion.mask_padding', ABSENT, False),
    ('model.fusion.tie_to_backbone_blocks', ABSENT, [0, 11]),
    ('model.t2i_head.init_cfg', ABSENT, _albef_init('t2i_head.')),
]


def albef_t2i_head_rows(distill_softmax):
    """Rows of the paper-size model whose T2I head became the official
    ALBEF-style branch (``ALBEFT2IHead``), with the MLM distillation over
    ``distill_softmax``.

    Args:
        distill_softmax (str): ``'vocab'`` or ``'positions'``.

    Returns:
        list[tuple]: ``(key_path, old, new)`` rows.
    """
    return [
        ('model.t2i_head.type', 'T2IHead', 'ALBEFT2IHead'),
        ('model.t2i_head.fusion_encoder', ABSENT,
         dict(
             type='CrossModalEncoder',
             num_layers=6,
             num_heads=12,
             feedforward_channels=3072)),
        ('model.t2i_head.queue_size', ABSENT, 65536),
        ('model.t2i_head.momentum', ABSENT, 0.995),
        ('model.t2i_head.temperature', ABSENT, 0.07),
        ('model.t2i_head.mlm_probability', ABSENT, 0.15),
        ('model.t2i_head.mrtd_probability', ABSENT, 0.3),
        ('model.t2i_head.loss_itc', ABSENT,
         dict(type='MomentumContrastiveLoss', alpha=0.4, loss_weight=0.5)),
        ('model.t2i_head.loss_mlm', ABSENT,
         dict(
             type='SoftMaskedLMLoss',
             alpha=0.4,
             distill_softmax=distill_softmax,
             loss_weight=1.0)),
        ('model.t2i_head.itm_loss_weight', ABSENT, 1.0),
        ('model.t2i_head.mrtd_loss_weight', ABSENT, 0.5),
    ]


# The paper-size configs and the official-compat config: the ALBEF-style T2I
# branch, ITM re-ranking of each caption's top 128 at test (with the hook
# that gives the metric the model's ITM scorer), and every rank running
# every list (the branch's queues and momentum encoders need it).
PAPER_SIZE_CONFIGS = ('irm/irm_vit-b*_omnireid.py',
                      'irm/irm_vit-b_official-compat.py')
# Those whose T2IMetric is the fifth metric (the others use the paper
# protocol's evaluator), and those in the all-tasks mode (in another order
# than PAPER_CONFIGS_BEFORE_ALL_TASKS, a key of EXPECTED_CHANGES too).
FIFTH_METRIC_T2I_CONFIGS = ('irm/irm_vit-b_omnireid.py',
                            'irm/irm_vit-b-*16_omnireid.py',
                            'irm/irm_vit-b_one-task_omnireid.py',
                            'irm/irm_vit-b_official-compat.py')
ALL_TASKS_PAPER_CONFIGS = ('irm/irm_vit-b-*16_omnireid.py',
                           'irm/irm_vit-b_omnireid.py',
                           'irm/irm_vit-b_paper-protocol_omnireid.py')
PAPER_PROTOCOL_EVALUATOR = ('_base_/evaluators/omnireid_paper_protocol.py',
                            'irm/irm_vit-b_paper-protocol_omnireid.py')
_RUNTIME_HOOKS = [
    dict(type='RandomStateHook'),
    dict(type='MetricTableHook'),
    dict(type='NonFiniteLossHook', action='stop')
]
_RERANK = dict(topk=128)
ALBEF_T2I_CHANGES = {
    ('_base_/models/irm.py', 'irm/irm_vit-b_official-compat.py'):
    albef_t2i_head_rows('vocab'),
    'irm/irm_vit-b*_omnireid.py':
    albef_t2i_head_rows('positions'),
    PAPER_SIZE_CONFIGS: [
        ('custom_hooks', _RUNTIME_HOOKS,
         _RUNTIME_HOOKS + [dict(type='T2IReRankHook')]),
    ],
    FIFTH_METRIC_T2I_CONFIGS:
    rows_in_test_and_val('evaluator', [('4.rerank', ABSENT, _RERANK)]),
    'irm/irm_vit-b_paper-protocol_omnireid.py':
    rows_in_test_and_val('evaluator', [('1.rerank', ABSENT, _RERANK)]),
    PAPER_PROTOCOL_EVALUATOR: [
        ('paper_protocol_evaluator.1.rerank', ABSENT, _RERANK),
    ],
    ALL_TASKS_PAPER_CONFIGS: [
        ('train_dataloader.batch_sampler.split_across_ranks', True, False),
    ],
}

# Deliberate changes of effective configs: {glob (or tuple of globs) of
# config paths relative to configs/: [(key_path, old, new), ...]}. A key
# path is a dotted string ('train_cfg.max_iters'; list indices as numbers)
# or, for keys holding a dot, a tuple of keys. ABSENT as old adds a key, as
# new removes it.
EXPECTED_CHANGES = {
    # _base_/datasets: the test sets of each benchmark share their
    # arguments through ReIDConcatDataset defaults.
    '*/market1501.py':
    defaults_rows('Market1501'),
    '*/dukemtmc_reid.py':
    defaults_rows('DukeMTMCReID'),
    '*/msmt17.py':
    defaults_rows('MSMT17', version='v1'),
    '*/msmt17_v2.py':
    defaults_rows('MSMT17', version='v2'),
    '*/cuhk03_labeled.py':
    defaults_rows('CUHK03', variant='labeled'),
    '*/cuhk03_detected.py':
    defaults_rows('CUHK03', variant='detected'),
    '*/prcc.py':
    defaults_rows('PRCC', query=dict(clothes='both')),
    '*/ltcc.py':
    defaults_rows('LTCC'),
    '*/vc_clothes.py':
    defaults_rows('VCClothes'),
    '*/llcm.py':
    defaults_rows('LLCM', direction='ir2vis'),
    '*/sysu_mm01.py':
    defaults_rows('SYSUMM01', mode='all'),
    '*/sysu_mm01_indoor.py':
    defaults_rows('SYSUMM01', mode='indoor'),
    '*/cuhk_pedes.py':
    defaults_rows('CUHKPEDES'),
    '*/icfg_pedes.py':
    defaults_rows('ICFGPEDES'),
    '*/rstp_reid.py':
    defaults_rows('RSTPReid'),
    ('*/ltcc.py', '*/omnireid_joint.py', 'irm/irm_vit-b_omnireid.py'):
    CLOTHES_MODE_ROWS,
    # Random states are saved and restored by a hook; training stops at a
    # non-finite loss.
    ('_base_/default_runtime.py', 'baseline/*.py', *IRM_CONFIGS_BEFORE): [
        ('custom_hooks', [dict(type='MetricTableHook')], [
            dict(type='RandomStateHook'),
            dict(type='MetricTableHook'),
            dict(type='NonFiniteLossHook', action='stop')
        ]),
    ],
    # The instruction-fusion module has one name (config key `fusion`,
    # folder models/fusions, class EditingFusion).
    ('_base_/models/irm_vit-tiny.py', *IRM_CONFIGS_BEFORE): [
        ('model.fusion.type', 'EditingTransformer', 'EditingFusion'),
    ],
    ('_base_/datasets/omnireid_joint.py', 'irm/irm_vit-b_omnireid.py'):
    OFFICIAL_TRAIN_DATA_ROWS,
    ('irm/irm_vit-b_omnireid.py', ):
    PAPER_HEAD_AND_TEXT_ROWS,
    ('_base_/datasets/omnireid_joint.py', *PAPER_CONFIGS_BEFORE_ALL_TASKS):
    ALL_TASKS_DATA_ROWS,
    # (the same configs predate the pretrained initialisation)
    PAPER_CONFIGS_BEFORE_ALL_TASKS: [
        ('train_cfg.type', 'ReIDIterBasedTrainLoop', 'AllTasksTrainLoop'),
    ] + PRETRAINED_INIT_ROWS,
    # The paper config's ViT-B variable moved into _base_/models/irm.py.
    'irm/irm_vit-b_omnireid.py': [
        ('vit_b',
         dict(
             type='mmpretrain.VisionTransformer',
             arch='b',
             patch_size=16,
             out_type='raw',
             with_cls_token=True,
             init_cfg=None), ABSENT),
    ],
    # The paper configs' last editing block computes only the CLS outputs
    # (a tuple key: the plain glob is a key of ALBEF_T2I_CHANGES).
    (
        'irm/irm_vit-b*_omnireid.py', ): [
        ('model.fusion.last_block_cls_only', ABSENT, True),
    ],
    **ALBEF_T2I_CHANGES,
}


def config_names():
    """Paths relative to ``configs/`` of the configs and of the snapshots
    (a snapshot without its config is a removed config)."""
    configs = glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    snapshots = glob.glob(
        osp.join(SNAPSHOT_DIR, '**', '*.json'), recursive=True)
    names = {osp.relpath(p, CONFIG_DIR) for p in configs}
    names |= {osp.relpath(p, SNAPSHOT_DIR)[:-5] + '.py' for p in snapshots}
    return sorted(n.replace(os.sep, '/') for n in names)


def snapshot_path(name):
    return osp.join(SNAPSHOT_DIR, name[:-3] + '.json')


def effective_config(name):
    """The merged config of ``configs/<name>`` as JSON data (tuples become
    lists, keys sorted)."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    return json.loads(json.dumps(cfg.to_dict(), sort_keys=True, default=repr))


def split_path(key_path):
    """The keys of a key path (see ``EXPECTED_CHANGES``)."""
    if isinstance(key_path, tuple):
        return list(key_path)
    return [int(k) if k.isdigit() else k for k in key_path.split('.')]


def get_value(data, keys):
    """The value at ``keys`` in ``data``, or ABSENT."""
    for key in keys:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return ABSENT
    return data


def set_value(data, keys, value):
    """Sets (or, for ABSENT, deletes) the value at ``keys`` in ``data``; a
    copy of ``value``, so that a later row that changes a key inside it
    does not change the row's value for the next config."""
    parent = get_value(data, keys[:-1])
    if value is ABSENT:
        del parent[keys[-1]]
    else:
        parent[keys[-1]] = copy.deepcopy(value)


def apply_changes(name, snapshot, changes):
    """The snapshot of ``configs/<name>`` with the rows of ``changes`` whose
    glob matches ``name`` applied; a row whose old value is not in the
    snapshot raises ``AssertionError``.

    Args:
        name (str): Config path relative to ``configs/``.
        snapshot (dict): The stored effective config (changed in place).
        changes (dict): ``{glob or tuple of globs: [(key_path, old, new),
            ...]}``.

    Returns:
        dict: ``snapshot``.
    """
    for pattern, rows in changes.items():
        patterns = pattern if isinstance(pattern, tuple) else (pattern, )
        if not any(fnmatch.fnmatch(name, p) for p in patterns):
            continue
        for key_path, old, new in rows:
            keys = split_path(key_path)
            stored = get_value(snapshot, keys)
            if stored == new and stored != old:
                raise AssertionError(
                    f'EXPECTED_CHANGES[{pattern!r}] row {key_path!r}: the '
                    f'snapshot of {name} already holds the new value; '
                    'delete the row')
            if stored != old:
                raise AssertionError(
                    f'EXPECTED_CHANGES[{pattern!r}] row {key_path!r}: the '
                    f'snapshot of {name} holds {stored!r}, the row says '
                    f'the old value is {old!r}')
            set_value(snapshot, keys, new)
    return snapshot


def differences(expected, actual, keys=()):
    """``(keys, expected, actual)`` for each place where two JSON values
    differ: dict keys one by one, lists item by item when equally long."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            yield from differences(
                expected.get(key, ABSENT), actual.get(key, ABSENT),
                keys + (key, ))
    elif (isinstance(expected, list) and isinstance(actual, list)
          and len(expected) == len(actual)):
        for i, (old, new) in enumerate(zip(expected, actual)):
            yield from differences(old, new, keys + (i, ))
    elif expected != actual:
        yield keys, expected, actual


def format_path(keys):
    """``keys`` as a key path of ``EXPECTED_CHANGES``."""
    if any('.' in str(k) for k in keys):
        return repr(tuple(keys))
    return repr('.'.join(str(k) for k in keys))


def shorten(value, limit=300):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + '...'


@pytest.mark.parametrize('name', config_names())
def test_effective_config_unchanged(name):
    config_exists = osp.exists(osp.join(CONFIG_DIR, name))
    snapshot_exists = osp.exists(snapshot_path(name))
    assert snapshot_exists, (
        f'configs/{name} has no snapshot: if the config is new, write one '
        f'with `{UPDATE_COMMAND} {name}`')
    assert config_exists, (
        f'configs/{name} is gone but its snapshot is not: if the removal '
        f'is deliberate, run `{UPDATE_COMMAND} {name}`')
    with open(snapshot_path(name)) as f:
        expected = apply_changes(name, json.load(f), EXPECTED_CHANGES)
    diffs = list(differences(expected, effective_config(name)))
    assert not diffs, (
        f'the effective config of configs/{name} differs from its snapshot '
        '(with EXPECTED_CHANGES applied); record a deliberate change as '
        '(key_path, old, new) rows in EXPECTED_CHANGES:\n' +
        '\n'.join(f'  ({format_path(keys)}, {shorten(old)}, {shorten(new)})'
                  for keys, old, new in diffs))


def test_apply_changes_checks_the_old_value():
    snapshot = {'train_cfg': {'max_iters': 1500}, 'env': {'a.b': 1}}
    changes = {
        'irm/*': [('train_cfg.max_iters', 1500, 3000),
                  ('train_cfg.val_interval', ABSENT, 500),
                  (('env', 'a.b'), 1, ABSENT)],
        ('baseline/*', 'x/*'): [('train_cfg.max_iters', 1, 2)],
    }
    assert apply_changes('irm/x.py', snapshot, changes) == {
        'train_cfg': {
            'max_iters': 3000,
            'val_interval': 500
        },
        'env': {}
    }
    with pytest.raises(AssertionError, match='holds 1500'):
        apply_changes('baseline/x.py', {'train_cfg': {
            'max_iters': 1500
        }}, changes)
    with pytest.raises(AssertionError, match='already holds the new value'):
        apply_changes('irm/x.py', {'train_cfg': {'max_iters': 3000}}, changes)


def test_differences_name_the_keys():
    old = {'a': {'b': [1, {'c': 2}], 'd': 3}, 'e': [1]}
    new = {'a': {'b': [1, {'c': 4}]}, 'e': [1, 2]}
    assert list(differences(old, new)) == [
        (('a', 'b', 1, 'c'), 2, 4),
        (('a', 'd'), 3, ABSENT),
        (('e', ), [1], [1, 2]),
    ]
    assert format_path(('a', 'b', 1)) == "'a.b.1'"
    assert format_path(
        ('custom_keys', '.cls_token')) == ("('custom_keys', '.cls_token')")


def update_snapshots(patterns):
    """Writes the snapshots of the configs matching ``patterns`` (all when
    empty) and deletes those of removed configs."""
    for name in config_names():
        if patterns and not any(fnmatch.fnmatch(name, p) for p in patterns):
            continue
        path = snapshot_path(name)
        if not osp.exists(osp.join(CONFIG_DIR, name)):
            os.remove(path)
            print('deleted', osp.relpath(path, REPO))
            continue
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(effective_config(name), f, indent=1, sort_keys=True)
            f.write('\n')
        print('wrote', osp.relpath(path, REPO))


if __name__ == '__main__':
    if sys.argv[1:2] != ['--update']:
        sys.exit(__doc__)
    update_snapshots(sys.argv[2:])
