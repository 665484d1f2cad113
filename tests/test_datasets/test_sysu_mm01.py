import os
import os.path as osp

import pytest
from fake_trees import make_sysu_mm01, records_of

from mmreid_instruct.datasets.sysu_mm01 import SYSUMM01


def cams(records):
    return sorted({(r['pid'], r['camid'], r['modality']) for r in records})


def test_train(tmp_path):
    make_sysu_mm01(tmp_path)
    train = records_of(SYSUMM01(str(tmp_path), subset='train'))
    assert len(train) == 10
    assert cams(train) == [(0, 0, 'rgb'), (0, 2, 'ir'), (1, 1, 'rgb'),
                           (1, 5, 'ir'), (2, 3, 'rgb')]
    no_val = SYSUMM01(str(tmp_path), subset='train', use_val=False)
    assert len(no_val) == 8


def test_all_and_indoor(tmp_path):
    make_sysu_mm01(tmp_path)
    query = records_of(SYSUMM01(str(tmp_path), subset='query'))
    assert cams(query) == [(6, 2, 'ir'), (6, 5, 'ir'), (9, 5, 'ir')]
    gallery = records_of(SYSUMM01(str(tmp_path), subset='gallery'))
    assert cams(gallery) == [(6, 0, 'rgb'), (6, 4, 'rgb'), (9, 1, 'rgb'),
                             (9, 3, 'rgb')]
    indoor = records_of(
        SYSUMM01(str(tmp_path), subset='gallery', mode='indoor'))
    assert cams(indoor) == [(6, 0, 'rgb'), (9, 1, 'rgb')]
    assert [r['img_path'] for r in gallery] == sorted(r['img_path']
                                                      for r in gallery)


def test_vis2ir(tmp_path):
    make_sysu_mm01(tmp_path)
    query = records_of(
        SYSUMM01(
            str(tmp_path), subset='query', direction='vis2ir', mode='indoor'))
    assert cams(query) == [(6, 0, 'rgb'), (9, 1, 'rgb')]
    gallery = records_of(
        SYSUMM01(str(tmp_path), subset='gallery', direction='vis2ir'))
    assert {r['modality'] for r in gallery} == {'ir'}


def test_errors(tmp_path):
    base = make_sysu_mm01(tmp_path)
    os.rename(osp.join(base, 'cam6'), osp.join(base, 'cam7'))
    with pytest.raises(FileNotFoundError, match='cam6'):
        SYSUMM01(str(tmp_path), subset='query')
    os.remove(osp.join(base, 'exp', 'val_id.txt'))
    with pytest.raises(FileNotFoundError, match='val_id.txt'):
        SYSUMM01(str(tmp_path), subset='train')
    with pytest.raises(ValueError, match='mode'):
        SYSUMM01(str(tmp_path), mode='outdoor')
