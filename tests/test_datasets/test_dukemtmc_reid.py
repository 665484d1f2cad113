import pytest
from fake_trees import make_dukemtmc_reid, records_of, touch_image

from mmreid_instruct.datasets.dukemtmc_reid import DukeMTMCReID


def test_subsets(tmp_path):
    make_dukemtmc_reid(tmp_path)
    train = records_of(DukeMTMCReID(str(tmp_path), subset='train'))
    assert [(r['pid'], r['camid']) for r in train] == [(0, 1), (0, 4), (1, 7)]
    query = records_of(DukeMTMCReID(str(tmp_path), subset='query'))
    assert [(r['pid'], r['camid']) for r in query] == [(19, 0)]
    gallery = records_of(DukeMTMCReID(str(tmp_path), subset='gallery'))
    assert [(r['pid'], r['camid']) for r in gallery] == [(19, 3), (33, 6)]
    assert {r['dataset_name'] for r in gallery} == {'dukemtmc_reid'}


def test_bad_name(tmp_path):
    base = make_dukemtmc_reid(tmp_path)
    touch_image(f'{base}/query/0019_f0086496.jpg')
    with pytest.raises(ValueError, match='0005_c2_f0046985'):
        DukeMTMCReID(str(tmp_path), subset='query')
