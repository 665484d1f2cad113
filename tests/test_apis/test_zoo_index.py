"""ZooIndex (zoo.json) and the MMREID_INSTRUCT_ZOO_MIRROR variable."""
import json

import pytest

from mmreid_instruct.apis import ZooIndex, zoo_mirror
from mmreid_instruct.apis.zoo_index import zoo_base_url

SHA = '0123abcd' + 'ef' * 28
WEIGHTS = 'm_20260101-0123abcd.pth'


def test_mirror_variable(monkeypatch, tmp_path):
    monkeypatch.delenv('MMREID_INSTRUCT_ZOO_MIRROR', raising=False)
    assert zoo_mirror() is None
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR', ' ')
    assert zoo_mirror() is None
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR', 'https://h/zoo//')
    assert zoo_mirror() == 'https://h/zoo/'
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR', str(tmp_path))
    assert zoo_mirror() == tmp_path.as_uri() + '/'
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR', 'ftp://h/zoo')
    with pytest.raises(ValueError, match='MMREID_INSTRUCT_ZOO_MIRROR'):
        zoo_mirror()


def test_base_url_of_relative_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert zoo_base_url('zoo') == (tmp_path / 'zoo').as_uri() + '/'


def test_round_trip_in_a_folder(tmp_path):
    zoo = tmp_path / 'zoo'
    index = ZooIndex.open_folder(str(zoo))
    assert index.names() == []
    index.add('m', WEIGHTS, SHA, size=3, config='configs/m.py')
    path = index.save(str(zoo))
    assert sorted(p.name for p in zoo.iterdir()) == ['zoo.json']
    data = json.loads(open(path).read())
    assert data['version'] == 1
    assert data['models']['m']['weights'] == WEIGHTS

    again = ZooIndex.open_folder(str(zoo))
    again.add('n', 'n_20260101-0123abcd.pth', SHA, published='2026-01-02')
    again.add('m', 'm_20260102-0123abcd.pth', SHA)
    again.save(str(zoo))
    read = ZooIndex.read(str(zoo))
    assert read.names() == ['m', 'n']
    assert read.entry('m')['weights'] == 'm_20260102-0123abcd.pth'
    assert read.entry('n')['published'] == '2026-01-02'
    assert read.entry('M')['weights'] == 'm_20260102-0123abcd.pth'
    assert read.weights_url('n', 'http://127.0.0.1:1/z/') == (
        'http://127.0.0.1:1/z/n_20260101-0123abcd.pth', SHA)


def test_read_over_http(tmp_path, serve_folder):
    ZooIndex({'m': dict(weights=WEIGHTS, sha256=SHA)}).save(str(tmp_path))
    base, requests = serve_folder(tmp_path)
    assert ZooIndex.read(base).names() == ['m']
    assert requests == ['/zoo.json']


def test_missing_index(tmp_path, serve_folder):
    base, _ = serve_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match=base + 'zoo.json'):
        ZooIndex.read(base)
    with pytest.raises(FileNotFoundError, match='zoo.json'):
        ZooIndex.read(str(tmp_path))


def test_unknown_model_lists_the_names():
    index = ZooIndex({'m': dict(weights=WEIGHTS, sha256=SHA)}, 'z/zoo.json')
    with pytest.raises(KeyError, match=r"z/zoo.json lists no model 'x'.*'m'"):
        index.entry('x')


@pytest.mark.parametrize('entry,message', [
    (dict(sha256=SHA), '"weights"'),
    (dict(weights='../m.pth', sha256=SHA), '"weights"'),
    (dict(weights='m.bin', sha256=SHA), '"weights"'),
    (dict(weights=WEIGHTS, sha256=SHA[:8]), '"sha256"'),
    (dict(weights=WEIGHTS, sha256=SHA.upper()), '"sha256"'),
    (dict(weights='m_20260101-99999999.pth', sha256=SHA), 'carries hash'),
    ('m.pth', 'expected an object'),
])
def test_invalid_entries_are_refused(entry, message):
    with pytest.raises(ValueError, match=message):
        ZooIndex({'m': entry}, 'zoo.json')


@pytest.mark.parametrize('text,message', [
    ('{', 'not valid JSON'),
    ('[]', '"models"'),
    ('{"models": []}', '"models"'),
    ('{"version": 2, "models": {}}', 'version 2'),
])
def test_invalid_files_are_refused(tmp_path, text, message):
    (tmp_path / 'zoo.json').write_text(text)
    with pytest.raises(ValueError, match=message):
        ZooIndex.open_folder(str(tmp_path))
