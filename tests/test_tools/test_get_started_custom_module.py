"""The "Register your own modules" example of docs/en/get_started.md,
followed literally: its files are written where it says, in a copy of the
repository layout, and ``tools/train.py`` runs the config for 1 iteration
with no PYTHONPATH set."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GUIDE = osp.join(REPO, 'docs', 'en', 'get_started.md')


def example_files():
    """``{path: text}`` of the code blocks of the section whose first line
    is a ``# <path>`` comment."""
    with open(GUIDE, encoding='utf-8') as f:
        text = f.read()
    section = text.split('## Register your own modules', 1)[1]
    section = section.split('\n## ', 1)[0]
    blocks = re.findall(r'```python\n(.*?)```', section, re.S)
    files = {}
    for block in blocks:
        match = re.match(r'# (\S+\.py)\n', block)
        if match:
            files[match[1]] = block
    return section, files


def test_example_names_its_files_and_command():
    section, files = example_files()
    assert sorted(files) == ['my_config.py', 'my_project/my_loss.py']
    assert 'python tools/train.py my_config.py' in section


@pytest.mark.slow
def test_example_trains_when_followed_literally(tmp_path, synth_tiny_root):
    # The repository root as the user sees it, with the example's files.
    for name in ('configs', 'tools'):
        os.symlink(osp.join(REPO, name), tmp_path / name)
    _, files = example_files()
    for path, text in files.items():
        os.makedirs(osp.dirname(tmp_path / path), exist_ok=True)
        with open(tmp_path / path, 'w') as f:
            f.write(text)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    command = [
        sys.executable, 'tools/train.py', 'my_config.py', '--work-dir', 'work',
        '--no-validate', '--cfg-options', 'train_cfg.max_iters=1',
        'default_hooks.checkpoint.interval=1',
        'model.backbone.arch.num_layers=1',
        f'train_dataloader.dataset.data_root={synth_tiny_root}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'
    ]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert osp.exists(tmp_path / 'work' / 'iter_1.pth')
    assert 'loss_triplet' in result.stdout + result.stderr
