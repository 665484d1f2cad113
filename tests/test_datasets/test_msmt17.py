import os
import os.path as osp

import pytest
from fake_trees import make_msmt17, records_of, write_text

from mmreid_instruct.datasets.msmt17 import MSMT17


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_subsets(tmp_path, version):
    make_msmt17(tmp_path, version)
    train = records_of(MSMT17(str(tmp_path), subset='train', version=version))
    assert [(r['pid'], r['camid']) for r in train] == [(0, 0), (0, 4), (1, 13),
                                                       (2, 14)]
    folder = 'train' if version == 'v1' else 'mask_train_v2'
    assert f'/{folder}/0000/' in train[0]['img_path']
    query = records_of(MSMT17(str(tmp_path), subset='query', version=version))
    assert [(r['pid'], r['camid']) for r in query] == [(0, 9), (1, 1)]
    gallery = records_of(
        MSMT17(str(tmp_path), subset='gallery', version=version))
    assert [(r['pid'], r['camid']) for r in gallery] == [(0, 2), (1, 6),
                                                         (1, 11)]


def test_without_val(tmp_path):
    make_msmt17(tmp_path)
    ds = MSMT17(str(tmp_path), subset='train', use_val=False)
    assert len(ds) == 3


def test_errors(tmp_path):
    base = make_msmt17(tmp_path)
    write_text(
        osp.join(base, 'list_query.txt'), [
            '0000/0000_000_10_0303morning_0052_1.jpg 0',
            '0000/0000_000_10_0303morning_9999_1.jpg 0'
        ])
    with pytest.raises(FileNotFoundError, match=r'list_query.txt:2.*9999'):
        MSMT17(str(tmp_path), subset='query')
    write_text(
        osp.join(base, 'list_query.txt'),
        ['0000/0000_000_10_0303morning_0052_1.jpg'])
    with pytest.raises(ValueError, match=r'list_query.txt:1: expected'):
        MSMT17(str(tmp_path), subset='query')
    os.remove(osp.join(base, 'list_gallery.txt'))
    with pytest.raises(FileNotFoundError, match='list_gallery.txt'):
        MSMT17(str(tmp_path), subset='gallery')
    with pytest.raises(FileNotFoundError, match='list_train.txt'):
        MSMT17(str(tmp_path), subset='train', version='v2')
    with pytest.raises(ValueError, match='version'):
        MSMT17(str(tmp_path), subset='train', version='v3')
