import os
import os.path as osp

import pytest
from fake_trees import make_market1501, records_of, touch_image

from mmreid_instruct.datasets.base_reid_dataset import RECORD_KEYS
from mmreid_instruct.datasets.folder_reid_dataset import FolderReIDDataset
from mmreid_instruct.datasets.market1501 import Market1501
from mmreid_instruct.datasets.utils import DEFAULT_INSTRUCTIONS
from mmreid_instruct.registry import DATASETS


def test_train_relabels_in_sorted_order(tmp_path):
    base = make_market1501(tmp_path)
    recs = records_of(Market1501(str(tmp_path), subset='train'))
    # Thumbs.db is not an image and is ignored.
    assert [osp.basename(r['img_path']) for r in recs] == sorted(
        n for n in os.listdir(osp.join(base, 'bounding_box_train'))
        if n.endswith('.jpg'))
    assert [r['pid'] for r in recs] == [0, 0, 1, 1, 2]
    assert [r['camid'] for r in recs] == [0, 1, 2, 5, 3]
    for r in recs:
        assert set(r) == set(RECORD_KEYS)
        assert r['clothes_id'] == -1
        assert r['modality'] == 'rgb'
        assert r['task'] == 'trad'
        assert r['instruction'] == DEFAULT_INSTRUCTIONS['trad']
        assert r['instruction_img_path'] is None
        assert r['subset'] == 'train'
        assert r['dataset_name'] == 'market1501'


def test_gallery_drops_junk_keeps_distractors(tmp_path):
    make_market1501(tmp_path)
    recs = records_of(Market1501(str(tmp_path), subset='gallery'))
    assert [r['pid'] for r in recs] == [0, 1, 3]
    assert [r['camid'] for r in recs] == [0, 1, 0]
    query = records_of(Market1501(str(tmp_path), subset='query'))
    assert [(r['pid'], r['camid']) for r in query] == [(1, 0), (3, 4)]
    assert {r['subset'] for r in query} == {'query'}


def test_data_root_may_be_the_archive_folder(tmp_path):
    base = make_market1501(tmp_path)
    a = records_of(Market1501(base, subset='query'))
    b = records_of(Market1501(str(tmp_path), subset='query'))
    assert a == b


def test_task_override(tmp_path):
    make_market1501(tmp_path)
    ds = Market1501(
        str(tmp_path),
        subset='query',
        task='cc',
        instruction_text='any outfit')
    assert {(r['task'], r['instruction'])
            for r in records_of(ds)} == {('cc', 'any outfit')}
    with pytest.raises(ValueError, match='task must be'):
        Market1501(str(tmp_path), subset='query', task='attr')


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='bounding_box_train'):
        Market1501(str(tmp_path), subset='train')
    base = make_market1501(tmp_path)
    touch_image(osp.join(base, 'query', 'IMG_0001.jpg'))
    with pytest.raises(ValueError, match=r'IMG_0001.jpg.*0001_c1s1'):
        Market1501(str(tmp_path), subset='query')
    os.rename(osp.join(base, 'bounding_box_test'), osp.join(base, 'x'))
    with pytest.raises(FileNotFoundError, match='bounding_box_test'):
        Market1501(str(tmp_path), subset='gallery')
    with pytest.raises(ValueError, match='subset'):
        Market1501(str(tmp_path), subset='test')


def test_registry_and_generic_folder_dataset(tmp_path):
    base = make_market1501(tmp_path)
    ds = DATASETS.build(
        dict(type='Market1501', data_root=str(tmp_path), subset='gallery'))
    assert len(ds) == 3
    generic = FolderReIDDataset(base, subset='gallery')
    assert [r['pid'] for r in records_of(generic)] == [0, 1, 3]
    assert generic.get_data_info(0)['dataset_name'] == 'folder_reid'


def test_empty_subset(tmp_path):
    base = make_market1501(tmp_path)
    for name in os.listdir(osp.join(base, 'query')):
        os.remove(osp.join(base, 'query', name))
    with pytest.raises(ValueError, match='no query images'):
        Market1501(str(tmp_path), subset='query')
