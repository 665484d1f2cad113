"""tools/slurm_train.sh and tools/slurm_test.sh: the srun command they run
(a fake srun on PATH records it)."""
import os
import os.path as osp
import subprocess

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def fake_srun(tmp_path):
    """Runs a script with an ``srun`` that writes its arguments, one per
    line, to a file; returns them."""
    record = tmp_path / 'srun_args'
    fake = tmp_path / 'bin' / 'srun'
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    fake.chmod(0o755)

    def run(script, args, **env):
        result = subprocess.run(
            ['bash', osp.join('tools', script), *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(
                os.environ, PATH=f'{fake.parent}:{os.environ["PATH"]}', **env))
        return result, (
            record.read_text().splitlines() if record.exists() else None)

    return run


def test_slurm_train_runs_one_task_per_gpu_over_the_nodes(fake_srun):
    result, args = fake_srun(
        'slurm_train.sh',
        ['gpu', 'irm', 'configs/irm/irm_vit-b_omnireid.py', 'work', '--amp'],
        GPUS='64',
        SRUN_ARGS='--time=2-00:00:00')
    assert result.returncode == 0, result.stderr
    assert args[:2] == ['-p', 'gpu']
    for option in ('--job-name=irm', '--gres=gpu:8', '--ntasks=64',
                   '--ntasks-per-node=8', '--cpus-per-task=5',
                   '--kill-on-bad-exit=1', '--time=2-00:00:00'):
        assert option in args
    python = args.index('python')
    assert args[python + 3:] == [
        'configs/irm/irm_vit-b_omnireid.py', '--work-dir=work',
        '--launcher=slurm', '--amp'
    ]
    assert args[python + 1] == '-u' and args[python +
                                             2].endswith('tools/train.py')


def test_slurm_test_passes_the_checkpoint(fake_srun):
    result, args = fake_srun(
        'slurm_test.sh', ['gpu', 'irm', 'cfg.py', 'ckpt.pth', '--out', 'o'],
        GPUS='8',
        GPUS_PER_NODE='4')
    assert result.returncode == 0, result.stderr
    assert '--ntasks=8' in args and '--ntasks-per-node=4' in args
    python = args.index('python')
    assert args[python + 1] == '-u' and args[python +
                                             2].endswith('tools/test.py')
    assert args[python + 3:] == [
        'cfg.py', 'ckpt.pth', '--launcher=slurm', '--out', 'o'
    ]


@pytest.mark.parametrize('script', ['slurm_train.sh', 'slurm_test.sh'])
def test_missing_arguments_are_a_usage_error(fake_srun, script):
    result, args = fake_srun(script, ['gpu', 'job', 'cfg.py'])
    assert result.returncode == 2
    assert 'Usage: GPUS=' in result.stderr
    assert args is None
