"""The repository passes its linters (flake8, isort, yapf; settings in
setup.cfg), so a style violation fails the test command and CI."""
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SOURCES = ['mmreid_instruct', 'configs', 'tools', 'tests', 'setup.py']


def run_tool(*args):
    return subprocess.run([sys.executable, '-m', *args],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)


@pytest.mark.parametrize(
    'command', [
        ('flake8', *SOURCES),
        ('isort', '--check-only', '--diff', *SOURCES),
        ('yapf', '--diff', '--recursive', *SOURCES),
    ],
    ids=['flake8', 'isort', 'yapf'])
def test_linter_clean(command):
    result = run_tool(*command)
    assert result.returncode == 0, (
        f'{command[0]} found problems (fix them, or run `yapf -i -r` / '
        f'`isort` on the files):\n{result.stdout[-5000:]}'
        f'{result.stderr[-2000:]}')
