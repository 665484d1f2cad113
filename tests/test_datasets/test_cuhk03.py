import os
import os.path as osp

import cv2
import numpy as np
import pytest
from fake_trees import (CUHK03_IMAGES, make_cuhk03_mat, make_cuhk03_np,
                        records_of)
from scipy.io import loadmat, savemat

from mmreid_instruct.datasets.cuhk03 import CUHK03

SUBSETS = ('train', 'query', 'gallery')


def labels(records):
    return [(r['pid'], r['camid']) for r in records]


@pytest.mark.parametrize('variant', ['labeled', 'detected'])
def test_np_folders(tmp_path, variant):
    make_cuhk03_np(tmp_path)
    train = records_of(CUHK03(str(tmp_path), subset='train', variant=variant))
    assert labels(train) == [(0, 0), (0, 1), (0, 1), (1, 0), (1, 1)]
    assert f'/{variant}/bounding_box_train/' in train[0]['img_path']
    query = records_of(CUHK03(str(tmp_path), subset='query', variant=variant))
    assert labels(query) == [(3, 0), (4, 0)]
    gallery = records_of(
        CUHK03(str(tmp_path), subset='gallery', variant=variant))
    assert labels(gallery) == [(3, 1), (4, 1)]


def test_mat_matches_np_folders(tmp_path):
    make_cuhk03_np(tmp_path / 'np')
    make_cuhk03_mat(tmp_path / 'raw')
    for subset in SUBSETS:
        from_np = records_of(CUHK03(str(tmp_path / 'np'), subset=subset))
        from_mat = records_of(
            CUHK03(str(tmp_path / 'raw'), subset=subset, source='mat'))
        assert sorted(labels(from_mat)) == sorted(labels(from_np))
    images = sorted(os.listdir(tmp_path / 'raw' / 'cuhk03' / 'images_labeled'))
    assert len(images) == len(CUHK03_IMAGES)
    assert '1_001_2_07.png' in images


def test_mat_extraction(tmp_path):
    base = make_cuhk03_mat(tmp_path, config_in_release=True)
    query = records_of(
        CUHK03(str(tmp_path), subset='query', variant='detected'))
    assert [osp.basename(r['img_path'])
            for r in query] == ['2_001_1_01.png', '2_002_1_03.png']
    assert labels(query) == [(3, 0), (4, 0)]
    img = cv2.imread(query[1]['img_path'])
    assert img.shape == (6, 3, 3)
    # Stored RGB with red 200, read back BGR.
    assert img[0, 0].tolist() == [3, 3, 200]
    # Extracted once, then reused.
    assert osp.isdir(osp.join(base, 'images_detected'))
    assert not osp.exists(osp.join(base, 'images_labeled'))
    train = records_of(CUHK03(base, subset='train', variant='detected'))
    assert labels(train) == [(0, 0), (0, 1), (0, 1), (1, 0), (1, 1)]


def test_mat_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='cuhk-03.mat'):
        CUHK03(str(tmp_path), subset='train')
    base = make_cuhk03_mat(tmp_path)
    split_file = osp.join(base, 'cuhk03_new_protocol_config_labeled.mat')
    split = {
        k: v
        for k, v in loadmat(split_file).items() if not k.startswith('__')
    }
    split['query_idx'] = np.array([[1], [99]], np.float64)
    savemat(split_file, split)
    with pytest.raises(ValueError, match=r'query_idx 99.*1-based'):
        CUHK03(str(tmp_path), subset='query')
    del split['gallery_idx']
    savemat(split_file, split)
    with pytest.raises(ValueError, match="missing.*gallery_idx"):
        CUHK03(str(tmp_path), subset='gallery')
    os.remove(osp.join(base, 'images_labeled', '1_001_1_01.png'))
    with pytest.raises(FileNotFoundError, match='1_001_1_01.png'):
        CUHK03(str(tmp_path), subset='train')
    os.remove(split_file)
    with pytest.raises(FileNotFoundError, match='new_protocol_config'):
        CUHK03(str(tmp_path), subset='train')


def test_not_hdf5(tmp_path):
    base = make_cuhk03_mat(tmp_path)
    savemat(
        osp.join(base, 'cuhk03_release', 'cuhk-03.mat'), dict(x=np.zeros(1)))
    with pytest.raises(ValueError, match='HDF5'):
        CUHK03(str(tmp_path), subset='train')
    assert not osp.exists(osp.join(base, 'images_labeled'))


def test_options(tmp_path):
    make_cuhk03_np(tmp_path)
    with pytest.raises(FileNotFoundError, match='cuhk-03.mat'):
        CUHK03(str(tmp_path), subset='train', source='mat')
    with pytest.raises(ValueError, match='variant'):
        CUHK03(str(tmp_path), variant='manual')
    with pytest.raises(ValueError, match='source'):
        CUHK03(str(tmp_path), source='zip')
