"""Missing data are found and reported before anything is built."""
import os.path as osp
from unittest import mock

import pytest

from mmreid_instruct.datasets import BaseReIDDataset, OmniReIDList
from mmreid_instruct.utils import (check_data_exists, find_missing_data,
                                   register_all_modules)

register_all_modules()


def omni(root, list_file, task='trad', **kwargs):
    return dict(
        type='OmniReIDList',
        data_root=str(root),
        list_file=list_file,
        task=task,
        **kwargs)


def loaders(train=None, test=None):
    cfg = dict(
        train_dataloader=None if train is None else dict(
            dataset=dict(type='ReIDConcatDataset', datasets=train)))
    cfg['test_dataloader'] = None if test is None else dict(dataset=test)
    cfg['val_dataloader'] = None
    return cfg


def test_missing_roots_files_and_hints(tmp_path):
    market = tmp_path / 'market'
    (market / 'datalist').mkdir(parents=True)
    (market / 'datalist' / 'train.txt').write_text('')
    cfg = loaders(
        train=[
            omni(market, 'datalist/train.txt'),  # present
            omni(
                market,
                'datalist/extra.txt',
                caption_file=str(tmp_path / 'captions.json')),
            omni(tmp_path / 'msmt', 'datalist/train.txt'),
            dict(type='SynthOmniReID', data_root=str(tmp_path / 'synth')),
        ],
        test=omni(tmp_path / 'msmt', 'datalist/query.txt', subset='query'))
    missing = find_missing_data(cfg)
    assert [m.path for m in missing] == [
        osp.join(str(market), 'datalist/extra.txt'),
        str(tmp_path / 'captions.json'),  # absolute: taken as is
        str(tmp_path / 'msmt'),  # a missing root is named once, not its files
    ]
    assert missing[0].where == ('train_dataloader: OmniReIDList '
                                '(task=trad)')
    assert all(m.hint == OmniReIDList.DATA_HINT for m in missing)
    # Only the test sets, as tools/test.py asks.
    assert [m.path for m in find_missing_data(cfg, ['test_dataloader'])
            ] == [str(tmp_path / 'msmt')]


def test_error_lists_every_path_and_says_where_to_get_the_data(tmp_path):
    cfg = loaders(test=[
        dict(type='Market1501', data_root='data/nowhere/market1501'),
        omni(tmp_path / 'real2', 'datalist/query.txt')
    ])
    with pytest.raises(FileNotFoundError) as info:
        check_data_exists(cfg)
    message = str(info.value)
    assert 'missing (2 paths)' in message
    assert 'data/nowhere/market1501    <- test_dataloader: Market1501' in \
        message
    assert 'current directory' in message
    assert BaseReIDDataset.DATA_HINT in message
    assert OmniReIDList.DATA_HINT in message


def test_nothing_missing_passes(tmp_path, synth_tiny_root):
    cfg = loaders(
        train=[
            dict(type='SynthOmniReID', data_root=str(tmp_path / 'not_yet'))
        ],
        test=omni(synth_tiny_root, 'datalist/query_trad.txt'))
    assert find_missing_data(cfg) == []
    check_data_exists(cfg)


def test_concat_defaults_are_applied(tmp_path):
    cfg = loaders(
        test=dict(
            type='ReIDConcatDataset',
            defaults=dict(data_root=str(tmp_path / 'shared')),
            datasets=[
                dict(type='OmniReIDList', list_file='a.txt', task='trad'),
                omni(tmp_path / 'own', 'b.txt', task='cc')
            ]))
    assert [m.path for m in find_missing_data(cfg)
            ] == [str(tmp_path / 'shared'),
                  str(tmp_path / 'own')]


def test_base_class_attributes_decide_skipping_and_hints(tmp_path):
    assert BaseReIDDataset.GENERATES_DATA is False
    cfg = loaders(test=[
        omni(tmp_path / 'lists', 'query.txt'),
        dict(type='NotARegisteredDataset', data_root=str(tmp_path / 'x'))
    ])
    lists, unknown = find_missing_data(cfg)
    assert lists.hint == OmniReIDList.DATA_HINT
    # A type that is not a ReID dataset gets the defaults of the base class.
    assert unknown.where == 'test_dataloader: NotARegisteredDataset'
    assert unknown.hint == BaseReIDDataset.DATA_HINT
    with mock.patch.object(OmniReIDList, 'GENERATES_DATA', True):
        assert [m.path
                for m in find_missing_data(cfg)] == [str(tmp_path / 'x')]
