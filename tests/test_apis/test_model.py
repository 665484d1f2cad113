"""init_model / get_model: safe loading, and zoo weights found through the
mirror variable, served over 127.0.0.1 and file://."""
import hashlib
import os
import os.path as osp

import pytest
import torch
import yaml
from mmengine.config import Config

import mmreid_instruct.apis.model as model_module
from mmreid_instruct.apis import (ModelHub, ZooIndex, get_model, init_model,
                                  zoo_checkpoint)
from mmreid_instruct.engine.runner import CheckpointMismatchError
from mmreid_instruct.utils.download import ChecksumError

NAME = 'baseline_vit-tiny_synth-omnireid-tiny'
#: Changes that make the baseline tiny (a 1-layer 32-d ViT).
TINY = dict(
    backbone=dict(
        arch=dict(
            embed_dims=32, num_layers=1, num_heads=2,
            feedforward_channels=64)),
    head=dict(in_channels=32))


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """A cache in tmp_path, no mirror, no index remembered."""
    monkeypatch.setenv('MMREID_INSTRUCT_HOME', str(tmp_path / 'home'))
    monkeypatch.delenv('MMREID_INSTRUCT_ZOO_MIRROR', raising=False)
    monkeypatch.setattr(model_module, '_REMOTE_INDEXES', {})


@pytest.fixture
def own_hub(monkeypatch):
    ModelHub.names()
    monkeypatch.setattr(ModelHub, '_models', dict(ModelHub._models))


def cache_files(tmp_path):
    folder = tmp_path / 'home' / 'checkpoints'
    return sorted(os.listdir(folder)) if folder.exists() else []


def tiny_config():
    cfg = Config.fromfile(ModelHub.get(NAME).config)
    cfg.merge_from_dict(dict(model=TINY))
    return cfg


def tiny_state(seed=0):
    torch.manual_seed(seed)
    model = init_model(tiny_config(), device='cpu')
    return {
        k: torch.randn_like(v) if v.is_floating_point() else v
        for k, v in model.state_dict().items()
    }


def publish_to_zoo(zoo, state, name=NAME, date='20260101'):
    """A published checkpoint of ``state`` in folder ``zoo`` (zoo.json
    updated); returns its file name."""
    zoo.mkdir(exist_ok=True)
    tmp = zoo / 'tmp.pth'
    torch.save(dict(state_dict=state, meta={}), tmp)
    sha256 = hashlib.sha256(tmp.read_bytes()).hexdigest()
    file_name = f'{name}_{date}-{sha256[:8]}.pth'
    os.replace(tmp, zoo / file_name)
    index = ZooIndex.open_folder(str(zoo))
    index.add(name, file_name, sha256)
    index.save(str(zoo))
    return file_name


def assert_weights(model, state):
    loaded = model.state_dict()
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key


def test_init_model_loads_strictly(tmp_path):
    state = tiny_state()
    path = tmp_path / 'w.pth'
    torch.save(
        dict(state_dict={
            f'module.{k}': v
            for k, v in state.items()
        }), path)
    model = init_model(tiny_config(), str(path), device='cpu')
    assert_weights(model, state)
    assert not model.training
    assert model.cfg.model.backbone.arch.embed_dims == 32

    torch.save(dict(state_dict=dict(state, extra=torch.ones(1))), path)
    with pytest.raises(CheckpointMismatchError, match='extra'):
        init_model(tiny_config(), str(path), device='cpu')
    model = init_model(tiny_config(), str(path), device='cpu', strict=False)
    assert_weights(model, state)


def test_init_model_downloads_urls_into_the_cache(tmp_path, serve_folder):
    state = tiny_state()
    file_name = publish_to_zoo(tmp_path / 'zoo', state)
    base, requests = serve_folder(tmp_path / 'zoo')
    model = init_model(tiny_config(), base + file_name, device='cpu')
    assert_weights(model, state)
    assert cache_files(tmp_path) == [file_name]
    init_model(tiny_config(), base + file_name, device='cpu')
    assert requests == ['/' + file_name]


def test_get_model_by_name_without_weights():
    model = get_model(NAME.upper(), device='cpu', **TINY)
    assert not model.training
    assert model.cfg.model.type == 'ImageReID'
    assert model.cfg.model.backbone.arch.embed_dims == 32
    assert model.backbone.embed_dims == 32
    assert get_model(
        NAME, pretrained=None, **TINY).cfg.model.head['in_channels'] == 32


def test_get_model_from_config_and_path(tmp_path):
    state = tiny_state()
    torch.save(dict(state_dict=state), tmp_path / 'w.pth')
    for config in (tiny_config(), dict(tiny_config())):
        model = get_model(config, pretrained=str(tmp_path / 'w.pth'))
        assert_weights(model, state)
    model = get_model(
        ModelHub.get(NAME).config, pretrained=tmp_path / 'w.pth', **TINY)
    assert_weights(model, state)


def test_pretrained_true_without_published_weights():
    with pytest.raises(ValueError) as error:
        get_model(NAME, pretrained=True, **TINY)
    message = str(error.value)
    assert 'MMREID_INSTRUCT_ZOO_MIRROR' in message
    assert osp.join('baseline', 'metafile.yml') in message


def test_pretrained_true_for_a_config(tmp_path):
    with pytest.raises(ValueError, match='load_from'):
        get_model(tiny_config(), pretrained=True)
    state = tiny_state()
    torch.save(dict(state_dict=state), tmp_path / 'w.pth')
    cfg = tiny_config()
    cfg.load_from = str(tmp_path / 'w.pth')
    assert_weights(get_model(cfg, pretrained=True), state)


def test_bad_arguments():
    with pytest.raises(TypeError, match='model must be'):
        get_model(3)
    with pytest.raises(TypeError, match='pretrained must be'):
        get_model(tiny_config(), pretrained=1)
    with pytest.raises(ValueError, match='No model named'):
        get_model('no_such_model')


def test_mirror_over_http(tmp_path, serve_folder, monkeypatch):
    state = tiny_state()
    file_name = publish_to_zoo(tmp_path / 'zoo', state)
    base, requests = serve_folder(tmp_path / 'zoo')
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR', base)

    model = get_model(NAME, pretrained=True, device='cpu', **TINY)
    assert_weights(model, state)
    assert requests == ['/zoo.json', '/' + file_name]
    assert cache_files(tmp_path) == [file_name]

    # The second call finds everything it needs: no request at all.
    assert_weights(get_model(NAME, pretrained=True, **TINY), state)
    assert requests == ['/zoo.json', '/' + file_name]


def test_mirror_refuses_a_corrupted_file(tmp_path, serve_folder, monkeypatch):
    file_name = publish_to_zoo(tmp_path / 'zoo', tiny_state())
    data = bytearray((tmp_path / 'zoo' / file_name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (tmp_path / 'zoo' / file_name).write_bytes(bytes(data))
    base, requests = serve_folder(tmp_path / 'zoo')
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR', base)

    with pytest.raises(ChecksumError) as error:
        get_model(NAME, pretrained=True, **TINY)
    assert base + file_name in str(error.value)
    assert hashlib.sha256(bytes(data)).hexdigest() in str(error.value)
    assert cache_files(tmp_path) == []
    assert requests == ['/zoo.json', '/' + file_name]


@pytest.mark.parametrize('as_url', [False, True])
def test_mirror_in_a_local_folder(tmp_path, monkeypatch, as_url):
    state = tiny_state()
    file_name = publish_to_zoo(tmp_path / 'zoo', state)
    zoo = tmp_path / 'zoo'
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR',
                       zoo.as_uri() if as_url else str(zoo))
    assert_weights(get_model(NAME, pretrained=True, **TINY), state)
    assert cache_files(tmp_path) == [file_name]
    assert zoo_checkpoint(
        NAME, check_cached=True) == str(tmp_path / 'home' / 'checkpoints' /
                                        file_name)


def test_mirror_without_the_model(tmp_path, serve_folder, monkeypatch):
    publish_to_zoo(tmp_path / 'zoo', tiny_state(), name='other_model')
    base, _ = serve_folder(tmp_path / 'zoo')
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR', base)
    with pytest.raises(
            ValueError, match=f"{NAME}.*does not have it.*"
            "'other_model'"):
        get_model(NAME, pretrained=True, **TINY)


def test_mirror_without_index(tmp_path, serve_folder, monkeypatch):
    base, _ = serve_folder(tmp_path)
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR', base)
    with pytest.raises(FileNotFoundError, match='zoo.json'):
        get_model(NAME, pretrained=True, **TINY)


def register_model_with_weights(folder, weights_url):
    (folder / 'meta.yml').write_text(
        yaml.safe_dump(
            dict(Models=[
                dict(
                    Name='hosted_tiny',
                    Config=ModelHub.get(NAME).config,
                    Weights=weights_url)
            ])))
    ModelHub.register_model_index(str(folder / 'meta.yml'))


def test_metafile_weights(tmp_path, own_hub):
    state = tiny_state()
    file_name = publish_to_zoo(tmp_path / 'zoo', state)
    register_model_with_weights(tmp_path,
                                (tmp_path / 'zoo' / file_name).as_uri())
    assert_weights(get_model('hosted_tiny', pretrained=True, **TINY), state)
    assert cache_files(tmp_path) == [file_name]


def test_metafile_weights_through_the_mirror(tmp_path, serve_folder,
                                             monkeypatch, own_hub):
    state = tiny_state()
    file_name = publish_to_zoo(tmp_path / 'zoo', state)
    os.remove(tmp_path / 'zoo' / 'zoo.json')
    register_model_with_weights(
        tmp_path, f'https://weights.invalid/releases/v1/{file_name}')
    base, requests = serve_folder(tmp_path / 'zoo')
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR', base)
    assert_weights(get_model('hosted_tiny', pretrained=True, **TINY), state)
    assert requests == ['/' + file_name]
