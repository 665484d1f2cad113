"""Bad list, caption and meta files: each error names the file (and line)
and says what was expected."""
import json
import os.path as osp

import numpy as np
import pytest

from mmreid_instruct.datasets import (OmniReIDList, ReIDConcatDataset,
                                      SynthOmniReID)
from mmreid_instruct.datasets.utils import (load_json, read_id_file,
                                            read_image_list, read_lines,
                                            to_int)
from mmreid_instruct.utils import register_all_modules


def write_bytes(path, data):
    with open(path, 'wb') as f:
        f.write(data)
    return str(path)


def load_list(root, name='list.txt', task='trad', subset='query'):
    return OmniReIDList(
        str(root), name, task=task, subset=subset, check_files=False)


@pytest.mark.parametrize('data', [b'', b'\n   \n\t\n'])
def test_empty_or_blank_list_names_the_file(tmp_path, data):
    path = write_bytes(tmp_path / 'list.txt', data)
    with pytest.raises(ValueError, match='list.txt: the file is empty'):
        load_list(tmp_path)
    with pytest.raises(ValueError, match='list.txt: the file is empty'):
        read_id_file(path)
    with pytest.raises(ValueError, match='list.txt: the file is empty'):
        read_image_list(path, str(tmp_path))


def test_non_utf8_list_names_file_and_line(tmp_path):
    write_bytes(tmp_path / 'list.txt', b'a.jpg - 1 0 1\n\xe9b.jpg - 2 0 1\n')
    with pytest.raises(ValueError) as info:
        load_list(tmp_path)
    message = str(info.value)
    assert f'{tmp_path / "list.txt"}:2:' in message
    assert 'UTF-8' in message and 'b.jpg' in message


def test_non_utf8_captions_name_file_and_line(tmp_path):
    write_bytes(tmp_path / 'list.txt', b'a.jpg k1 1 0 1\n')
    write_bytes(tmp_path / 'captions.json',
                b'{\n"k1": "a man",\n"k2": "caf\xe9"\n}\n')
    with pytest.raises(ValueError) as info:
        load_list(tmp_path, task='li')
    message = str(info.value)
    assert f'{tmp_path / "captions.json"}:3:' in message
    assert 'UTF-8' in message


def test_byte_order_mark_is_read_not_kept(tmp_path):
    write_bytes(tmp_path / 'list.txt', b'\xef\xbb\xbfa.jpg - 1 0 1\n')
    assert list(read_lines(str(tmp_path / 'list.txt'))) == [(1,
                                                             'a.jpg - 1 0 1')]
    record = load_list(tmp_path).get_data_info(0)
    assert record['img_path'] == osp.join(str(tmp_path), 'a.jpg')
    path = write_bytes(tmp_path / 'c.json', b'\xef\xbb\xbf{"k": "v"}')
    assert load_json(path, 'captions') == {'k': 'v'}


def test_pid_beyond_int64_names_file_and_line(tmp_path):
    write_bytes(tmp_path / 'list.txt',
                b'a.jpg - 1 0 1\nb.jpg - 99999999999999999999 0 1\n')
    with pytest.raises(ValueError, match=r'list.txt:2: pid .* 64-bit'):
        load_list(tmp_path)
    assert to_int(str(2**63 - 1), 'f', 'pid') == 2**63 - 1
    assert np.int64(to_int(str(-2**63), 'f', 'pid')) == -2**63
    with pytest.raises(ValueError, match='f: pid'):
        to_int(str(-2**63 - 1), 'f', 'pid')


@pytest.mark.parametrize('data', [b'{"preset": "tiny", ', b'[1, 2]'])
def test_corrupt_synth_meta_names_the_file(tmp_path, data):
    meta = write_bytes(tmp_path / 'meta.json', data)
    with pytest.raises(ValueError) as info:
        SynthOmniReID(data_root=str(tmp_path))
    message = str(info.value)
    assert message.startswith(meta) and 'Delete' in message


def test_dataset_config_without_type_names_its_place(tmp_path):
    register_all_modules()
    write_bytes(tmp_path / 'list.txt', b'a.jpg - 1 0 1\n')
    good = dict(
        type='OmniReIDList',
        data_root=str(tmp_path),
        list_file='list.txt',
        task='trad',
        check_files=False)
    bad = {k: v for k, v in good.items() if k != 'type'}
    with pytest.raises(KeyError, match=r'datasets\[1\] has no "type"'):
        ReIDConcatDataset(datasets=[good, bad])
    # defaults may give the type
    concat = ReIDConcatDataset(
        datasets=[bad], defaults=dict(type='OmniReIDList'))
    assert len(concat) == 1
    loaded = json.loads(json.dumps(good))  # plain dicts are still accepted
    assert len(ReIDConcatDataset(datasets=[loaded])) == 1
