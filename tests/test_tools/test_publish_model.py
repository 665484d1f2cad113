"""tools/model_converters/publish_model.py: strips training state, names
the file after its hash, fills a zoo folder that get_model then uses."""
import hashlib
import json
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from script_loader import load_script

import mmreid_instruct.apis.model as model_module
from mmreid_instruct.apis import ModelHub, get_model, init_model
from mmreid_instruct.engine.runner import (CheckpointLoadError,
                                           load_checkpoint_file,
                                           register_checkpoint_safe_globals)
from mmreid_instruct.utils.download import ChecksumError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'model_converters', 'publish_model.py')
IRM = 'irm_vit-tiny_synth-omnireid-tiny'


def tiny_vit(img_size):
    return dict(
        arch=dict(
            embed_dims=32, num_layers=1, num_heads=2, feedforward_channels=64),
        img_size=img_size)


#: get_model changes that make the IRM tiny: 1-layer 32-d ViTs, a
#: character tokenizer and a 1-layer 16-d BERT.
TINY_IRM = dict(
    backbone=tiny_vit((128, 64)),
    image_instruction_encoder=dict(backbone=tiny_vit(64)),
    text_encoder=dict(
        pretrained=None,
        tokenizer='char',
        max_length=40,
        config=dict(
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32)),
    fusion=dict(num_heads=2, num_layers=1),
    t2i_head=dict(embed_dims=16))


@pytest.fixture(scope='module')
def publish():
    return load_script(SCRIPT)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv('MMREID_INSTRUCT_HOME', str(tmp_path / 'home'))
    monkeypatch.delenv('MMREID_INSTRUCT_ZOO_MIRROR', raising=False)
    monkeypatch.setattr(model_module, '_REMOTE_INDEXES', {})


def training_checkpoint(state_dict):
    """What a training run saves: weights plus resume state."""
    # As the runner does: HistoryBuffer pickles from its arguments.
    register_checkpoint_safe_globals()
    return dict(
        state_dict=state_dict,
        optimizer=dict(state={}, param_groups=[dict(lr=0.1)]),
        param_schedulers=[dict(last_step=3)],
        message_hub=dict(
            log_scalars=dict(loss=HistoryBuffer([1.0, 2.0], [1, 1]))),
        meta=dict(
            cfg='model = dict(type="ImageReID")',
            dataset_meta=dict(classes=None),
            epoch=0,
            iter=40,
            mmengine_version='0.10.7',
            seed=0,
            experiment_name='exp',
            random_state=dict(numpy=np.zeros(3), torch=torch.ones(2))))


def small_state():
    return {'a.weight': torch.randn(3, 4), 'a.bias': torch.zeros(3)}


def test_strips_training_state_and_names_by_hash(tmp_path, publish, capsys):
    state = small_state()
    torch.save(training_checkpoint(state), tmp_path / 'iter_40.pth')
    out = publish.main([
        str(tmp_path / 'iter_40.pth'),
        str(tmp_path / 'out' / 'my_model'), '--date', '20260102', '--base-url',
        'https://h/zoo/'
    ])
    sha256 = hashlib.sha256(open(out, 'rb').read()).hexdigest()
    assert out == str(tmp_path / 'out' / f'my_model_20260102-{sha256[:8]}.pth')
    assert os.listdir(tmp_path / 'out') == [osp.basename(out)]

    published = load_checkpoint_file(out)
    assert sorted(published) == ['meta', 'state_dict']
    assert sorted(published['meta']) == [
        'cfg', 'dataset_meta', 'epoch', 'iter', 'mmengine_version',
        'mmreid_instruct_version'
    ]
    for key, value in state.items():
        assert torch.equal(published['state_dict'][key], value)

    printed = capsys.readouterr().out
    assert sha256 in printed
    assert f'{osp.getsize(out)} bytes' in printed
    assert f'Weights: https://h/zoo/{osp.basename(out)}' in printed
    for dropped in ('optimizer', 'param_schedulers', 'message_hub',
                    'meta.random_state', 'meta.seed'):
        assert dropped in printed


def test_same_input_same_file(tmp_path, publish):
    torch.save(training_checkpoint(small_state()), tmp_path / 'in.pth')
    first = publish.main([
        str(tmp_path / 'in.pth'),
        str(tmp_path / 'a' / 'm'), '--date', '20260101'
    ])
    second = publish.main([
        str(tmp_path / 'in.pth'),
        str(tmp_path / 'b' / 'm.pth'), '--date', '20260101'
    ])
    assert osp.basename(first) == osp.basename(second)


def test_plain_state_dict_and_bad_inputs(tmp_path, publish):
    torch.save(small_state(), tmp_path / 'plain.pth')
    out = publish.main([
        str(tmp_path / 'plain.pth'),
        str(tmp_path / 'm'), '--date', '20260101'
    ])
    assert sorted(
        load_checkpoint_file(out)['state_dict']) == ['a.bias', 'a.weight']

    torch.save(dict(optimizer={}), tmp_path / 'nothing.pth')
    with pytest.raises(ValueError, match="nothing.pth has no state_dict"):
        publish.main([str(tmp_path / 'nothing.pth'), str(tmp_path / 'n')])
    with pytest.raises(SystemExit, match='yyyymmdd'):
        publish.main([
            str(tmp_path / 'plain.pth'),
            str(tmp_path / 'n'), '--date', '2026-01-01'
        ])

    # Read safely: a pickled object that is not allow-listed is refused.
    torch.save(
        dict(state_dict={}, meta=dict(obj=Config())), tmp_path / 'unsafe.pth')
    with pytest.raises(CheckpointLoadError, match='allow-list'):
        publish.main([str(tmp_path / 'unsafe.pth'), str(tmp_path / 'u')])
    assert sorted(os.listdir(tmp_path)) == [
        osp.basename(out), 'nothing.pth', 'plain.pth', 'unsafe.pth'
    ]


def test_zoo_dir(tmp_path, publish):
    torch.save(training_checkpoint(small_state()), tmp_path / 'in.pth')
    zoo = tmp_path / 'zoo'
    first = publish.main([
        str(tmp_path / 'in.pth'),
        str(tmp_path / 'out' / 'baseline_vit-tiny_synth-omnireid-tiny'),
        '--zoo-dir',
        str(zoo), '--date', '20260101'
    ])
    second = publish.main([
        str(tmp_path / 'in.pth'),
        str(zoo / 'mine'), '--zoo-dir',
        str(zoo), '--name', 'custom', '--config', 'my/config.py'
    ])
    assert sorted(os.listdir(zoo)) == sorted(
        [osp.basename(first),
         osp.basename(second), 'zoo.json'])
    models = json.loads((zoo / 'zoo.json').read_text())['models']
    entry = models['baseline_vit-tiny_synth-omnireid-tiny']
    assert entry['weights'] == osp.basename(first)
    assert entry['sha256'] == hashlib.sha256(open(first,
                                                  'rb').read()).hexdigest()
    assert entry['size'] == osp.getsize(first)
    assert entry['config'] == osp.join(
        'configs', 'baseline', 'baseline_vit-tiny_synth-omnireid-'
        'tiny.py')
    assert models['custom']['config'] == 'my/config.py'
    assert models['custom']['weights'] == osp.basename(second)


@pytest.mark.slow
def test_command_line(tmp_path):
    torch.save(training_checkpoint(small_state()), tmp_path / 'in.pth')
    command = [
        sys.executable, SCRIPT,
        str(tmp_path / 'in.pth'),
        str(tmp_path / 'm'), '--zoo-dir',
        str(tmp_path / 'zoo')
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    match = re.search(r'Published (\S+_\d{8}-([0-9a-f]{8})\.pth)',
                      result.stdout)
    assert match, result.stdout
    assert hashlib.sha256(open(match.group(1),
                               'rb').read()).hexdigest()[:8] == match.group(2)
    assert 'is not in list_models()' in result.stderr


def test_published_tiny_irm_served_on_loopback(tmp_path, publish, serve_folder,
                                               monkeypatch):
    """The zoo round trip: train-like checkpoint -> publish_model --zoo-dir
    -> served on 127.0.0.1 -> get_model(name, pretrained=True)."""
    cfg = Config.fromfile(ModelHub.get(IRM).config)
    cfg.merge_from_dict(dict(model=TINY_IRM))
    torch.manual_seed(0)
    state = init_model(cfg, device='cpu').state_dict()
    state = {
        k: torch.randn_like(v) if v.is_floating_point() else v
        for k, v in state.items()
    }
    torch.save(training_checkpoint(state), tmp_path / 'iter_40.pth')
    zoo = tmp_path / 'zoo'
    out = publish.main([
        str(tmp_path / 'iter_40.pth'),
        str(tmp_path / 'work' / IRM), '--zoo-dir',
        str(zoo)
    ])
    base, requests = serve_folder(zoo)
    monkeypatch.setenv('MMREID_INSTRUCT_ZOO_MIRROR', base)

    model = get_model(IRM, pretrained=True, device='cpu', **TINY_IRM)
    loaded = model.state_dict()
    assert loaded.keys() == state.keys()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    assert requests == ['/zoo.json', '/' + osp.basename(out)]

    # A corrupted copy on the server is refused and nothing is cached.
    monkeypatch.setenv('MMREID_INSTRUCT_HOME', str(tmp_path / 'home2'))
    data = bytearray((zoo / osp.basename(out)).read_bytes())
    data[-100] ^= 0x01
    (zoo / osp.basename(out)).write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match=osp.basename(out)):
        get_model(IRM, pretrained=True, device='cpu', **TINY_IRM)
    assert os.listdir(tmp_path / 'home2' / 'checkpoints') == []
