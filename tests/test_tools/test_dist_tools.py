"""tools/dist_train.sh and tools/dist_test.sh with 2 CPU processes (gloo)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'baseline',
                  'baseline_vit-tiny_synth-omnireid-tiny.py')


def run(command, env=None):
    result = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=env)
    assert result.returncode == 0, \
        result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.slow
def test_two_process_train_and_test_match_single_process_test(
        synth_tiny_root, tmp_path, free_port):
    options = [
        'model.backbone.arch.num_layers=1',
        f'train_dataloader.dataset.data_root={synth_tiny_root}',
        f'test_dataloader.dataset.datasets.0.data_root={synth_tiny_root}',
        f'test_dataloader.dataset.datasets.1.data_root={synth_tiny_root}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    ]
    work_dir = str(tmp_path / 'work')
    env = dict(os.environ, PORT=str(free_port()))
    run([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
        '--no-validate', '--cfg-options', 'train_cfg.max_iters=2',
        'default_hooks.checkpoint.interval=2', *options
    ],
        env=env)
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert osp.exists(checkpoint)

    dist_out, single_out = str(tmp_path / 'dist.json'), str(tmp_path /
                                                            'single.json')
    env['PORT'] = str(free_port())
    run([
        'bash', 'tools/dist_test.sh', CONFIG, checkpoint, '2', '--work-dir',
        work_dir, '--out', dist_out, '--cfg-options', *options
    ],
        env=env)
    run([
        sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir',
        work_dir, '--out', single_out, '--cfg-options', *options
    ])
    assert json.load(open(dist_out)) == json.load(open(single_out))


@pytest.mark.parametrize('script, args', [
    ('dist_train.sh', [CONFIG]),
    ('dist_train.sh', [CONFIG, '0']),
    ('dist_train.sh', [CONFIG, 'two']),
    ('dist_train.sh', [CONFIG, '--no-validate']),
    ('dist_train.sh', []),
    ('dist_test.sh', [CONFIG, 'ckpt.pth']),
    ('dist_test.sh', [CONFIG, 'ckpt.pth', '0']),
    ('dist_test.sh', [CONFIG, 'ckpt.pth', '-1']),
])
def test_bad_process_count_is_a_usage_error_before_torch(
        tmp_path, script, args):
    # A fake python on PATH records whether the script got that far.
    marker = tmp_path / 'python_started'
    fake = tmp_path / 'bin' / 'python'
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\ntouch {marker}\n')
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f'{fake.parent}:{os.environ["PATH"]}')
    result = subprocess.run(['bash', osp.join('tools', script), *args],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=60,
                            env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f'Usage: bash tools/{script} CONFIG')
    assert 'a whole number of processes' in result.stderr
    assert not marker.exists()
