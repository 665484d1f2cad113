import json
import os
import os.path as osp

import pytest
from fake_trees import (make_cuhk_pedes, make_icfg_pedes, make_rstp_reid,
                        records_of, write_json)

from mmreid_instruct.datasets.cuhk_pedes import CUHKPEDES
from mmreid_instruct.datasets.icfg_pedes import ICFGPEDES
from mmreid_instruct.datasets.rstp_reid import RSTPReid


def test_cuhk_pedes(tmp_path):
    base = make_cuhk_pedes(tmp_path)
    train = records_of(CUHKPEDES(str(tmp_path), subset='train'))
    # One record per caption, images in sorted path order.
    expected = (['imgs/CUHK01/0001001.png'] * 2 +
                ['imgs/CUHK01/0001002.png'] * 2 +
                ['imgs/train_query/p2_s1.jpg'] * 2)
    assert [osp.relpath(r['img_path'], base) for r in train] == expected
    assert [r['pid'] for r in train] == [0, 0, 0, 0, 1, 1]
    assert train[1]['instruction'] == \
        'person 1 caption 1 of CUHK01/0001001.png'
    assert {(r['task'], r['camid'], r['clothes_id'])
            for r in train} == {('t2i', -1, -1)}
    query = records_of(CUHKPEDES(str(tmp_path), subset='query'))
    assert [r['img_path'] for r in query] == [None] * 4
    assert [r['pid'] for r in query] == [7, 7, 9, 9]
    assert query[0]['instruction'] == \
        'person 7 caption 0 of Market/0007_c1.jpg'
    assert {r['camid'] for r in query} == {-1}
    gallery = records_of(CUHKPEDES(str(tmp_path), subset='gallery'))
    assert [(r['pid'], r['instruction'], r['camid'])
            for r in gallery] == [(7, None, -2), (9, None, -2)]
    val = CUHKPEDES(str(tmp_path), subset='gallery', test_split='val')
    assert len(val) == 1


def test_icfg_pedes_and_alternative_name(tmp_path):
    base = make_icfg_pedes(tmp_path)
    assert len(ICFGPEDES(str(tmp_path), subset='train')) == 1
    os.rename(
        osp.join(base, 'ICFG-PEDES.json'), osp.join(base, 'ICFG_PEDES.json'))
    query = records_of(ICFGPEDES(base, subset='query'))
    assert [r['pid'] for r in query] == [2, 2]
    assert len(ICFGPEDES(base, subset='gallery')) == 2
    os.rename(osp.join(base, 'ICFG_PEDES.json'), osp.join(base, 'mine.json'))
    with pytest.raises(FileNotFoundError, match='ICFG-PEDES.json'):
        ICFGPEDES(base, subset='gallery')
    assert len(ICFGPEDES(base, subset='gallery',
                         annotation_file='mine.json')) == 2


def test_rstp_reid(tmp_path):
    make_rstp_reid(tmp_path)
    gallery = records_of(RSTPReid(str(tmp_path), subset='gallery'))
    assert [osp.basename(r['img_path'])
            for r in gallery] == ['0002_c7_0002.jpg', '0002_c9_0014.jpg']
    assert len(RSTPReid(str(tmp_path), subset='query')) == 4
    assert len(RSTPReid(str(tmp_path), subset='query', test_split='val')) == 2
    with pytest.raises(ValueError, match='task'):
        RSTPReid(str(tmp_path), subset='query', task='trad')


def test_errors(tmp_path):
    base = make_rstp_reid(tmp_path)
    ann = osp.join(base, 'data_captions.json')
    with open(ann) as f:
        entries = json.load(f)
    os.remove(osp.join(base, 'imgs', '0002_c9_0014.jpg'))
    with pytest.raises(FileNotFoundError, match=r'entry 3.*0002_c9_0014'):
        RSTPReid(str(tmp_path), subset='gallery')
    # Captions are read without their images.
    assert len(RSTPReid(str(tmp_path), subset='query')) == 4
    entries[1]['captions'] = []
    write_json(ann, entries)
    with pytest.raises(ValueError, match=r'entry 1: captions'):
        RSTPReid(str(tmp_path), subset='query', test_split='val')
    with pytest.raises(ValueError, match="no entry has split 'dev'"):
        RSTPReid(str(tmp_path), subset='query', test_split='dev')
    del entries[0]['img_path']
    write_json(ann, entries)
    with pytest.raises(ValueError, match=r'entry 0: expected.*img_path'):
        RSTPReid(str(tmp_path), subset='train')
    with open(ann, 'w') as f:
        f.write('{"id": ')
    with pytest.raises(ValueError, match='not valid JSON'):
        RSTPReid(str(tmp_path), subset='query')
