import os.path as osp

import pytest
from fake_trees import make_llcm, records_of, write_text

from mmreid_instruct.datasets.llcm import LLCM
from mmreid_instruct.datasets.utils import DEFAULT_INSTRUCTIONS


def test_train(tmp_path):
    make_llcm(tmp_path)
    train = records_of(LLCM(str(tmp_path), subset='train'))
    assert [(r['pid'], r['camid'], r['modality'])
            for r in train] == [(0, 1, 'ir'), (1, 8, 'ir'), (0, 0, 'rgb'),
                                (1, 3, 'rgb')]
    assert {r['task'] for r in train} == {'vi'}
    assert {r['instruction'] for r in train} == {DEFAULT_INSTRUCTIONS['vi']}


@pytest.mark.parametrize('direction', ['ir2vis', 'vis2ir'])
def test_directions(tmp_path, direction):
    make_llcm(tmp_path)
    query = records_of(
        LLCM(str(tmp_path), subset='query', direction=direction))
    gallery = records_of(
        LLCM(str(tmp_path), subset='gallery', direction=direction))
    ir = [(2, 0, 'ir'), (5, 8, 'ir')]
    vis = [(2, 0, 'rgb'), (2, 0, 'rgb'), (5, 2, 'rgb')]
    expected = (ir, vis) if direction == 'ir2vis' else (vis, ir)
    got = tuple([(r['pid'], r['camid'], r['modality']) for r in recs]
                for recs in (query, gallery))
    assert got == expected


def test_errors(tmp_path):
    base = make_llcm(tmp_path)
    write_text(
        osp.join(base, 'idx', 'train_nir.txt'), [
            'nir/0001/0001_c02_s185535_f7010_nir.jpg 0',
            'nir/0001/missing_nir.jpg 0'
        ])
    with pytest.raises(FileNotFoundError, match=r'train_nir.txt:2'):
        LLCM(str(tmp_path), subset='train')
    write_text(osp.join(base, 'idx', 'test_id.txt'), ['2,x'])
    with pytest.raises(ValueError, match=r'test_id.txt:1.*person id'):
        LLCM(str(tmp_path), subset='query')
    with pytest.raises(ValueError, match='direction'):
        LLCM(str(tmp_path), subset='query', direction='both')
