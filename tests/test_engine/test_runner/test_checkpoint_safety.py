"""Loading a checkpoint never runs code from it, whatever the environment."""
import os
import subprocess
import sys

import pytest
import torch
from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import load_from_local

from mmreid_instruct.engine import CheckpointLoadError, load_checkpoint_file


class CreateFile:
    """Unpickling it with ``weights_only=False`` creates a file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.system, (f'touch {self.path}', )


class Unknown:
    pass


@pytest.fixture
def malicious_checkpoint(tmp_path):
    marker = tmp_path / 'code_was_run'
    path = tmp_path / 'malicious.pth'
    torch.save({'state_dict': {}, 'payload': CreateFile(marker)}, path)
    return path, marker


# A scheme whose loader calls ``torch.load`` without ``weights_only``, as
# mmengine's loaders of URLs and prefixes do.
CheckpointLoader.register_scheme(
    'unsafe-test://',
    force=True)(lambda filename, map_location: load_from_local(
        filename[len('unsafe-test://'):], map_location))

LOAD = """
import sys
from mmengine.runner.checkpoint import CheckpointLoader, load_from_local
CheckpointLoader.register_scheme('unsafe-test://', force=True)(
    lambda f, map_location: load_from_local(f[14:], map_location))
from mmreid_instruct.engine import CheckpointLoadError, load_checkpoint_file
try:
    load_checkpoint_file(sys.argv[1])
except CheckpointLoadError as error:
    print(error)
"""


@pytest.mark.parametrize('prefix', ['', 'unsafe-test://'])
def test_no_code_runs_even_if_the_environment_disables_weights_only(
        malicious_checkpoint, prefix):
    path, marker = malicious_checkpoint
    env = dict(os.environ, TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD='1')
    result = subprocess.run([sys.executable, '-c', LOAD, f'{prefix}{path}'],
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=120)
    assert not marker.exists(), 'unpickling ran code from the checkpoint'
    assert 'posix.system' in result.stdout, result.stdout + result.stderr
    # The environment is as it was.
    assert result.returncode == 0, result.stderr


def test_a_disallowed_global_is_reported_as_such(malicious_checkpoint):
    path, marker = malicious_checkpoint
    with pytest.raises(CheckpointLoadError) as info:
        load_checkpoint_file(str(path))
    message = str(info.value)
    assert 'malicious.pth' in message
    assert 'posix.system' in message and 'allow-list' in message
    assert 'truncated' not in message
    # Never the advice to load with weights_only=False.
    assert 'weights_only` set to `False' not in message
    assert 'will likely succeed' not in message
    assert not marker.exists()


def test_an_unknown_class_is_reported_as_such(tmp_path):
    path = tmp_path / 'foreign.pth'
    torch.save({'payload': Unknown()}, path)
    with pytest.raises(CheckpointLoadError) as info:
        load_checkpoint_file(str(path))
    message = str(info.value)
    assert 'Unknown' in message and 'allow-list' in message
    assert 'will likely succeed' not in message


def test_a_text_file_is_not_a_checkpoint_without_torch_advice(tmp_path):
    path = tmp_path / 'notes.pth'
    path.write_text('not a checkpoint')
    with pytest.raises(CheckpointLoadError) as info:
        load_checkpoint_file(str(path))
    message = str(info.value)
    assert 'is not a PyTorch checkpoint' in message
    assert 'will likely succeed' not in message


def test_the_environment_is_restored_after_loading(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    path = tmp_path / 'w.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}}, path)
    load_checkpoint_file(f'unsafe-test://{path}')
    assert os.environ['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'] == '1'
    assert 'TORCH_FORCE_WEIGHTS_ONLY_LOAD' not in os.environ


def test_pretrained_weights_load_safely_in_any_environment(
        malicious_checkpoint, synth_tiny_root, small_baseline_cfg, tmp_path,
        monkeypatch):
    # mmengine's Pretrained init reads the file with a plain torch.load,
    # which TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 turns unsafe; the runner
    # forces weights_only while it trains.
    from mmreid_instruct.engine import ReIDRunner
    path, marker = malicious_checkpoint
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    cfg = small_baseline_cfg(synth_tiny_root, tmp_path / 'work', max_iters=1)
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(path))
    runner = ReIDRunner.from_cfg(cfg)
    with pytest.raises(Exception, match='system'):
        runner.train()
    assert not marker.exists()
    assert os.environ['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'] == '1'
