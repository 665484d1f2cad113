import os.path as osp

import pytest
from fake_trees import make_prcc, records_of, touch_image

from mmreid_instruct.datasets.prcc import PRCC


def test_train(tmp_path):
    base = make_prcc(tmp_path)
    train = records_of(PRCC(str(tmp_path), subset='train'))
    assert [(r['pid'], r['camid'], r['clothes_id'])
            for r in train] == [(0, 0, 1000), (0, 1, 1000), (0, 2, 1001),
                                (1, 0, 3000), (1, 2, 3001)]
    assert all(r['task'] == 'cc' for r in train)
    # The data root may also be the prcc or the rgb folder.
    for root in (osp.dirname(base), base):
        assert records_of(PRCC(root, subset='train')) == train


@pytest.mark.parametrize('clothes, camid', [('same', 1), ('cross', 2)])
def test_query_and_gallery(tmp_path, clothes, camid):
    make_prcc(tmp_path)
    query = records_of(PRCC(str(tmp_path), subset='query', clothes=clothes))
    expected_pids = [312, 312] if clothes == 'same' else [312] * 2 + [315] * 2
    assert [r['pid'] for r in query] == expected_pids
    assert {r['camid'] for r in query} == {camid}
    assert {r['clothes_id'] - r['pid'] * 1000
            for r in query} == {int(clothes == 'cross')}
    gallery = records_of(
        PRCC(str(tmp_path), subset='gallery', clothes=clothes))
    assert [r['pid'] for r in gallery] == [312, 312, 315, 315]
    assert {r['camid'] for r in gallery} == {0}
    assert [r['clothes_id'] for r in gallery] == [312000] * 2 + [315000] * 2


def test_both_query_cameras(tmp_path):
    make_prcc(tmp_path)
    query = records_of(PRCC(str(tmp_path), subset='query', clothes='both'))
    assert [(r['pid'], r['camid'])
            for r in query] == [(312, 1)] * 2 + [(312, 2)] * 2 + [(315, 2)] * 2


def test_errors(tmp_path):
    base = make_prcc(tmp_path)
    touch_image(osp.join(base, 'train', '001', 'D_cropped_rgb001.jpg'))
    with pytest.raises(ValueError, match='A_cropped_rgb001'):
        PRCC(str(tmp_path), subset='train')
    touch_image(osp.join(base, 'test', 'C', 'x12', 'cropped_rgb001.jpg'))
    with pytest.raises(ValueError, match='x12.*person folder name'):
        PRCC(str(tmp_path), subset='query')
    with pytest.raises(ValueError, match='clothes'):
        PRCC(str(tmp_path), subset='query', clothes='other')
    with pytest.raises(FileNotFoundError, match='train'):
        PRCC(str(tmp_path / 'nowhere'), subset='train')
