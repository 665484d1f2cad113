import pytest
from fake_trees import make_ltcc, records_of, touch_image

from mmreid_instruct.datasets.ltcc import LTCC
from mmreid_instruct.datasets.utils import DEFAULT_INSTRUCTIONS


def test_subsets_and_outfits(tmp_path):
    make_ltcc(tmp_path)
    train = records_of(LTCC(str(tmp_path), subset='train'))
    assert [r['pid'] for r in train] == [0, 0, 1]
    assert [r['camid'] for r in train] == [10, 3, 0]
    # Outfits are numbered per person in the names; combined with the
    # original pid they identify an outfit across the dataset.
    assert [r['clothes_id'] for r in train] == [1001, 1002, 45001]
    assert {r['task'] for r in train} == {'cc'}
    assert {r['instruction'] for r in train} == {DEFAULT_INSTRUCTIONS['cc']}
    query = records_of(LTCC(str(tmp_path), subset='query'))
    gallery = records_of(LTCC(str(tmp_path), subset='gallery'))
    assert [(r['pid'], r['camid'], r['clothes_id'])
            for r in query] == [(10, 11, 10003)]
    assert [(r['pid'], r['camid'], r['clothes_id'])
            for r in gallery] == [(10, 1, 10001), (10, 4, 10003),
                                  (20, 11, 20001)]


def test_bad_name(tmp_path):
    base = make_ltcc(tmp_path)
    touch_image(f'{base}/test/010_c2_000211.png')
    with pytest.raises(ValueError, match='001_1_c11_015833'):
        LTCC(str(tmp_path), subset='gallery')
