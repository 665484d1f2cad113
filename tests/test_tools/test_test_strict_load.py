"""tools/test.py refuses a checkpoint that does not fit the model, unless
told to load it partially."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from mmreid_instruct.registry import MODELS
from mmreid_instruct.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'baseline',
                  'baseline_vit-tiny_synth-omnireid-tiny.py')


@pytest.fixture(scope='module')
def wider_checkpoint(tmp_path_factory):
    """A checkpoint of the 1-layer model whose first attention is wider."""
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.arch.num_layers = 1
    cfg.model.backbone.init_cfg = None
    weights = MODELS.build(cfg.model).state_dict()
    key = next(k for k in weights if k.endswith('attn.qkv.weight'))
    weights[key] = torch.zeros(weights[key].shape[0] * 2,
                               weights[key].shape[1])
    path = tmp_path_factory.mktemp('ckpt') / 'wider.pth'
    torch.save({'state_dict': weights, 'meta': {}}, path)
    return str(path), key


def run_test_tool(checkpoint, work_dir, data_root, *extra):
    common = [
        f'test_dataloader.dataset.datasets.0.data_root={data_root}',
        f'test_dataloader.dataset.datasets.1.data_root={data_root}',
        'model.backbone.arch.num_layers=1',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    ]
    command = [
        sys.executable,
        osp.join(REPO, 'tools', 'test.py'), CONFIG, checkpoint, '--work-dir',
        str(work_dir), *extra, '--cfg-options', *common
    ]
    return subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_a_checkpoint_of_another_width_is_an_error(wider_checkpoint,
                                                   synth_tiny_root, tmp_path):
    path, key = wider_checkpoint
    out = tmp_path / 'metrics.json'
    result = run_test_tool(path, tmp_path / 'w', synth_tiny_root, '--out',
                           str(out))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert not out.exists()
    assert 'wider.pth does not match the model' in output, output[-3000:]
    assert f'size mismatch for {key}' in output
    assert '--allow-partial-load' in output


@pytest.mark.slow
def test_allow_partial_load_warns_what_was_not_loaded(wider_checkpoint,
                                                      synth_tiny_root,
                                                      tmp_path):
    path, key = wider_checkpoint
    out = tmp_path / 'metrics.json'
    result = run_test_tool(path, tmp_path / 'w', synth_tiny_root,
                           '--allow-partial-load', '--out', str(out))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert out.exists()
    warning = next(line for line in output.splitlines()
                   if 'WARNING' in line and 'partially' in line)
    assert 'wider.pth' in warning, output[-3000:]
    assert f'size mismatch for {key}' in output
