import pytest
from fake_trees import make_vc_clothes, records_of

from mmreid_instruct.datasets.vc_clothes import VCClothes


def test_names_and_modes(tmp_path):
    make_vc_clothes(tmp_path)
    train = records_of(VCClothes(str(tmp_path), subset='train', mode='cc'))
    assert [(r['pid'], r['camid'], r['clothes_id'])
            for r in train] == [(0, 0, 1001), (0, 2, 1002), (1, 3, 4001)]
    query = records_of(VCClothes(str(tmp_path), subset='query'))
    assert [r['camid'] for r in query] == [0, 1, 2, 3]
    assert [r['clothes_id'] for r in query] == [300001, 300001, 300002, 300002]
    sc = records_of(VCClothes(str(tmp_path), subset='gallery', mode='sc'))
    assert [r['camid'] for r in sc] == [1, 2, 2]
    cc = records_of(VCClothes(str(tmp_path), subset='query', mode='cc'))
    assert [r['camid'] for r in cc] == [2, 3]
    with pytest.raises(ValueError, match='mode'):
        VCClothes(str(tmp_path), subset='query', mode='indoor')
