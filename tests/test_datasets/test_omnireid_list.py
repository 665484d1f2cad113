import os.path as osp

import pytest
from fake_trees import touch_image, write_json, write_text

from mmreid_instruct.datasets.base_reid_dataset import RECORD_KEYS
from mmreid_instruct.datasets.omnireid_list import (T2I_GALLERY_PLACEHOLDER,
                                                    OmniReIDList)
from mmreid_instruct.datasets.utils import DEFAULT_INSTRUCTIONS
from mmreid_instruct.registry import DATASETS

PH = T2I_GALLERY_PLACEHOLDER


def make_tree(root, lists, captions=None, images=()):
    """Write ``datalist/<name>.txt`` for each list and touch every image
    path named in their first two columns (except the t2i placeholder)."""
    for name, lines in lists.items():
        write_text(osp.join(root, 'datalist', f'{name}.txt'), lines)
        for line in lines:
            fields = line.split()
            for path in fields[:2]:
                if '/' in path or path.endswith('.jpg'):
                    touch_image(osp.join(root, path))
    for path in images:
        touch_image(osp.join(root, path))
    if captions is not None:
        write_json(osp.join(root, 'datalist', 'captions.json'), captions)
    return str(root)


def load(root, name, task, subset, **kwargs):
    return OmniReIDList(
        data_root=root,
        list_file=f'datalist/{name}.txt',
        task=task,
        subset=subset,
        **kwargs)


def test_trad_train_relabels_and_keeps_file_order(tmp_path):
    root = make_tree(
        tmp_path, {
            'train_trad': [
                'imgs/b/0009_c2.jpg x 9 90 1',
                '',
                'imgs/a/0003_c1.jpg x 3 30 0',
                'imgs/a/0003_c4.jpg x 3 31 3',
            ]
        })
    ds = load(root, 'train_trad', 'sc', 'train', dataset_name='market')
    assert len(ds) == 3
    recs = [ds.get_data_info(i) for i in range(3)]
    assert [r['pid'] for r in recs] == [1, 0, 0]
    assert [r['camid'] for r in recs] == [1, 0, 3]
    assert [r['clothes_id'] for r in recs] == [90, 30, 31]
    assert recs[0]['img_path'] == osp.join(root, 'imgs/b/0009_c2.jpg')
    for r in recs:
        assert set(r) - {'sample_idx'} == set(RECORD_KEYS)
        assert r['task'] == 'trad'
        assert r['instruction'] == DEFAULT_INSTRUCTIONS['trad']
        assert r['instruction_img_path'] is None
        assert r['modality'] == 'rgb'
        assert r['subset'] == 'train'
        assert r['dataset_name'] == 'market'
    assert list(ds.get_pids()) == [1, 0, 0]


def test_missing_camera_column_per_subset(tmp_path):
    lines = ['q/0001.jpg x 1 1', 'q/0002.jpg x 2 2']
    root = make_tree(tmp_path, {'query_sc': lines, 'gallery_sc': lines})
    query = load(root, 'query_sc', 'trad', 'query')
    gallery = load(root, 'gallery_sc', 'trad', 'gallery')
    assert {query.get_data_info(i)['camid'] for i in range(2)} == {-1}
    assert {gallery.get_data_info(i)['camid'] for i in range(2)} == {-2}
    # Test pids keep their original values.
    assert [query.get_data_info(i)['pid'] for i in range(2)] == [1, 2]


def test_camid_offset_and_instruction_text(tmp_path):
    root = make_tree(tmp_path, {'train_vi': ['a/1.jpg x 5 0 1']})
    ds = load(
        root,
        'train_vi',
        'cross',
        'train',
        camid_offset=-1,
        instruction_text='cross modality')
    rec = ds.get_data_info(0)
    assert rec['camid'] == 0
    assert rec['instruction'] == 'cross modality'
    assert rec['task'] == 'vi'


def test_instruction_text_rejected_for_caption_tasks(tmp_path):
    root = make_tree(
        tmp_path, {'train_li': ['a/1.jpg k 5 0 1']},
        captions={'k': 'a red coat'})
    with pytest.raises(ValueError, match='instruction_text'):
        load(root, 'train_li', 'li', 'train', instruction_text='x')


def test_cc_and_ctcc_instruction_images(tmp_path):
    root = make_tree(
        tmp_path, {
            'train_cc': ['imgs/1.jpg clothes/1.jpg 1 3 0'],
            'train_ctcc': ['imgs/2.jpg templates/t7.jpg 2 7 1'],
        })
    cc = load(root, 'train_cc', 'cc', 'train').get_data_info(0)
    assert cc['instruction_img_path'] == osp.join(root, 'clothes/1.jpg')
    assert cc['instruction'] == DEFAULT_INSTRUCTIONS['cc']
    ctcc = load(root, 'train_ctcc', 'ctcc', 'train').get_data_info(0)
    assert ctcc['instruction_img_path'] == osp.join(root, 'templates/t7.jpg')
    assert ctcc['instruction'] is None
    assert ctcc['task'] == 'ctcc'


def test_li_captions_and_missing_key(tmp_path):
    lines = ['a/1.jpg cap_1 4 0 0', 'a/2.jpg cap_9 4 1 1']
    root = make_tree(
        tmp_path, {'query_attr': lines},
        captions={'cap_1': 'wearing a red coat'})
    with pytest.raises(ValueError, match=r'query_attr.txt:2.*cap_9'):
        load(root, 'query_attr', 'attr', 'query')
    write_json(
        osp.join(root, 'datalist', 'captions.json'), {
            'cap_1': 'wearing a red coat',
            'cap_9': 'blue jeans'
        })
    ds = load(root, 'query_attr', 'attr', 'query')
    assert [ds.get_data_info(i)['instruction']
            for i in range(2)] == ['wearing a red coat', 'blue jeans']


def test_li_explicit_caption_file_and_missing_one(tmp_path):
    root = make_tree(tmp_path, {'train_li': ['a/1.jpg k 1 0 0']})
    with pytest.raises(FileNotFoundError, match='captions.json'):
        load(root, 'train_li', 'li', 'train')
    write_json(osp.join(root, 'other', 'caps.json'), {'k': 'a hat'})
    ds = load(root, 'train_li', 'li', 'train', caption_file='other/caps.json')
    assert ds.get_data_info(0)['instruction'] == 'a hat'
    write_json(osp.join(root, 'other', 'bad.json'), ['a hat'])
    with pytest.raises(ValueError, match='bad.json'):
        load(root, 'train_li', 'li', 'train', caption_file='other/bad.json')


def test_vi_modality_from_path_and_ir_cameras(tmp_path):
    root = make_tree(
        tmp_path, {
            'query_vi': [
                'nir/0001/0001_c01_s1_f2_nir.jpg x 1 0 0',
                'test_nir/cam2/0001/a.jpg x 1 0 1',
                'vis/0001/0001_c03_s1_f2_vis.jpg x 1 0 2',
                'ir/0002/a.jpg x 2 0 3',
                'x/0002/0002_infrared.jpg x 2 0 4',
                'cam6/0002/0001.jpg x 2 0 5',
                'iris/0002/their.jpg x 2 0 6',
            ]
        })
    ds = load(root, 'query_vi', 'vi', 'query')
    assert [ds.get_data_info(i)['modality'] for i in range(7)
            ] == ['ir', 'ir', 'rgb', 'ir', 'ir', 'rgb', 'rgb']
    ds = load(root, 'query_vi', 'vi', 'query', ir_cameras=[5])
    assert ds.get_data_info(5)['modality'] == 'ir'


def test_t2i_query_gallery_train(tmp_path):
    lines = [
        f'imgs/1.jpg {PH} 1 0',
        'imgs/1.jpg c1 1 0',
        'imgs/1.jpg c2 1 0',
        f'imgs/2.jpg {PH} 2 0',
        'imgs/2.jpg c3 2 0',
    ]
    caps = {'c1': 'a man', 'c2': 'a tall man', 'c3': 'a woman'}
    root = make_tree(
        tmp_path, {
            'test_t2i': lines,
            'train_t2i': lines[1:3] + lines[4:]
        },
        captions=caps)
    query = load(root, 'test_t2i', 't2i', 'query')
    assert len(query) == 3
    recs = [query.get_data_info(i) for i in range(3)]
    assert [r['img_path'] for r in recs] == [None] * 3
    assert [r['instruction']
            for r in recs] == ['a man', 'a tall man', 'a woman']
    assert [r['pid'] for r in recs] == [1, 1, 2]
    gallery = load(root, 'test_t2i', 't2i', 'gallery')
    recs = [gallery.get_data_info(i) for i in range(len(gallery))]
    assert [osp.basename(r['img_path']) for r in recs] == ['1.jpg', '2.jpg']
    assert [r['instruction'] for r in recs] == [None, None]
    assert [r['camid'] for r in recs] == [-2, -2]
    train = load(root, 'train_t2i', 'text_to_image', 'train')
    recs = [train.get_data_info(i) for i in range(len(train))]
    assert [r['instruction']
            for r in recs] == ['a man', 'a tall man', 'a woman']
    assert [r['pid'] for r in recs] == [0, 0, 1]
    assert all(r['img_path'] is not None for r in recs)


@pytest.mark.parametrize('line, message', [
    ('a/1.jpg x 1', '3 fields'),
    ('a/1.jpg x 1 2 3 4', '6 fields'),
    ('a/1.jpg x one 2 3', 'pid must be an integer'),
    ('a/1.jpg x 1 two 3', 'clothes id must be an integer'),
    ('a/1.jpg x 1 2 c3', 'camera id must be an integer'),
])
def test_malformed_lines_name_file_and_line(tmp_path, line, message):
    root = make_tree(tmp_path, {'train_sc': ['a/1.jpg x 1 2 3', '', line]})
    with pytest.raises(ValueError, match=r'train_sc.txt:3: .*' + message):
        load(root, 'train_sc', 'sc', 'train')


def test_missing_images(tmp_path):
    root = make_tree(tmp_path, {'train_cc': ['a/1.jpg c/1.jpg 1 2 3']})
    write_text(
        osp.join(root, 'datalist', 'train_cc.txt'),
        ['a/1.jpg c/1.jpg 1 2 3', 'a/2.jpg c/1.jpg 1 2 3'])
    with pytest.raises(FileNotFoundError, match=r'train_cc.txt:2.*a/2.jpg'):
        load(root, 'train_cc', 'cc', 'train')
    write_text(
        osp.join(root, 'datalist', 'train_cc.txt'), ['a/1.jpg c/9.jpg 1 2 3'])
    with pytest.raises(FileNotFoundError, match=r'train_cc.txt:1.*c/9.jpg'):
        load(root, 'train_cc', 'cc', 'train')
    ds = load(root, 'train_cc', 'cc', 'train', check_files=False)
    assert len(ds) == 1


def test_missing_list_file_and_unknown_task(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        load(str(tmp_path), 'nope', 'sc', 'train')
    with pytest.raises(ValueError, match='Unknown task'):
        load(str(tmp_path), 'nope', 'reid', 'train')


def test_absolute_list_file_and_registry(tmp_path):
    root = make_tree(tmp_path, {'train_sc': ['a/1.jpg x 1 2 3']})
    ds = DATASETS.build(
        dict(
            type='OmniReIDList',
            data_root=root,
            list_file=osp.join(root, 'datalist', 'train_sc.txt'),
            task='sc'))
    assert len(ds) == 1
    assert ds[0]['img_path'] == osp.join(root, 'a/1.jpg')


def test_synth_layout_all_tasks(tmp_path):
    """The layout of the synthetic dataset: one list per subset and task
    under ``datalist/`` and one ``captions.json`` for all of them."""
    caps = {'a1': 'red top', 'a2': 'blue top'}
    rows = {
        'trad': 'img/p1_a.jpg x {pid} 0 {cam}',
        'cc': 'img/p1_b.jpg clothes/c1.jpg {pid} 1 {cam}',
        'ctcc': 'img/p1_c.jpg tmpl/t1.jpg {pid} 1 {cam}',
        'li': 'img/p1_d.jpg a1 {pid} 0 {cam}',
        'vi': 'img/ir/p1_e.jpg x {pid} 0 {cam}',
        't2i': 'img/p1_f.jpg a2 {pid} 0 {cam}',
    }
    lists = {}
    for task, row in rows.items():
        for subset in ('train', 'query', 'gallery'):
            line = row.format(pid=7, cam=1)
            if task == 't2i' and subset == 'gallery':
                line = f'img/p1_f.jpg {PH} 7 0 1'
            lists[f'{subset}_{task}'] = [line]
    root = make_tree(tmp_path, lists, captions=caps)
    for task in rows:
        for subset in ('train', 'query', 'gallery'):
            ds = load(root, f'{subset}_{task}', task, subset)
            assert len(ds) == 1, (task, subset)
            rec = ds.get_data_info(0)
            assert rec['task'] == task
            assert rec['pid'] == (0 if subset == 'train' else 7)
            assert rec['camid'] == 1
    vi = load(root, 'query_vi', 'vi', 'query').get_data_info(0)
    assert vi['modality'] == 'ir'


def test_default_caption_file_with_a_relative_data_root(tmp_path, monkeypatch):
    make_tree(
        tmp_path / 'data', {'query_attr': ['a/1.jpg k 1 0 0']},
        captions={'k': 'a hat'})
    monkeypatch.chdir(tmp_path)
    ds = load('data', 'query_attr', 'attr', 'query')
    assert ds.caption_file == osp.join('data', 'datalist', 'captions.json')
    assert ds.get_data_info(0)['instruction'] == 'a hat'


def test_official_instruction_style_and_caption_cleaning(tmp_path):
    root = make_tree(
        tmp_path, {
            'q_sc': ['a/1.jpg x 1 0 0'],
            'q_vi': ['nir/1.jpg x 1 0 0'],
            'q_cc': ['a/1.jpg clo/1.jpg 1 0 0'],
            'q_attr': ['a/1.jpg k 1 0 0'],
        },
        captions={'k': 'A Red-coat, and  blue\tjeans/shorts!'})

    def instruction(name, task, **kwargs):
        return load(root, name, task, 'query',
                    **kwargs).get_data_info(0)['instruction']

    official = dict(instruction_style='official')
    assert instruction('q_sc', 'sc', **official) == 'do not change clothes'
    assert instruction('q_vi', 'cross', **official) == 'cross modiality'
    assert instruction('q_vi', 'cross') == DEFAULT_INSTRUCTIONS['vi']
    # The official cc instruction is the clothes image; the text stays.
    assert instruction('q_cc', 'cc', **official) == DEFAULT_INSTRUCTIONS['cc']
    caption = "A Red-coat, and  blue\tjeans/shorts!"
    assert instruction('q_attr', 'attr') == caption
    assert instruction('q_attr', 'attr', clean_captions=True) == \
        'a red coat and blue\tjeans shorts'
    assert instruction(
        'q_sc', 'sc', instruction_text='Ignore: Clothes.',
        clean_captions=True) == 'ignore clothes'
    with pytest.raises(ValueError, match="instruction_style.*'official'"):
        load(root, 'q_sc', 'sc', 'query', instruction_style='paper')
