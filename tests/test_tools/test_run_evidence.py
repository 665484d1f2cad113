"""tools/analysis_tools/run_evidence.sh in its DRY_RUN=1 mode: the commands
it would run, in order, and their configs, which must exist."""
import os
import os.path as osp
import shlex
import subprocess

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'run_evidence.sh')
TASKS = ('trad', 'cc', 'ctcc', 'li', 'vi', 't2i')


def dry_run(tmp_path, *args):
    env = dict(
        os.environ,
        DRY_RUN='1',
        WORK_DIR=str(tmp_path / 'evidence'),
        PYTHON='python-of-the-test')
    return subprocess.run(['bash', SCRIPT, *args],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=60)


def commands(tmp_path, *args):
    result = dry_run(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    return [shlex.split(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize('preset,steps', [('tiny', 1500), ('small', 3000)])
def test_every_row_trains_tests_then_tables(tmp_path, preset, steps):
    work = str(tmp_path / 'evidence' / preset)
    cmds = commands(tmp_path, preset)
    assert all(cmd[0] == 'python-of-the-test' for cmd in cmds)
    rows = [
        'joint', *[f'specialist-{t}' for t in TASKS], 'one-task',
        'albef-joint', 'albef-specialist-t2i'
    ]
    assert len(cmds) == 2 * len(rows) + 2
    outputs = {}
    for row, train, test in zip(rows, cmds[0::2], cmds[1::2]):
        config = train[2]
        assert osp.isfile(osp.join(REPO, config)), config
        assert config.endswith(f'_synth-omnireid-{preset}.py')
        assert train[1:] == [
            'tools/train.py', config, '--work-dir', f'{work}/{row}', '--resume'
        ]
        iters = 6 * steps if row == 'one-task' else steps
        assert test[1:] == [
            'tools/test.py', config, f'{work}/{row}/iter_{iters}.pth',
            '--work-dir', f'{work}/{row}/test', '--out', f'{work}/{row}.json'
        ]
        outputs[row] = f'{work}/{row}.json'
    configs = {row: cmd[2] for row, cmd in zip(rows, cmds[0::2])}
    assert configs['joint'] == ('configs/irm/irm_vit-tiny_all-tasks_'
                                f'synth-omnireid-{preset}.py')
    assert configs['specialist-li'] == (
        'configs/irm/specialists/irm-specialist-li_vit-tiny_'
        f'synth-omnireid-{preset}.py')
    assert f'one-task-{6 * steps // 1000}k' in configs['one-task']
    # The tables read what the training rows wrote.
    table, albef_table = cmds[-2:]
    specialists = [outputs[f'specialist-{t}'] for t in TASKS]
    assert table[1:] == [
        'tools/analysis_tools/evidence_table.py', '--joint', outputs['joint'],
        '--specialists', *specialists, '--one-task', outputs['one-task'],
        '--data-root', f'data/synth_omnireid_{preset}', '--markdown',
        f'{work}/evidence.md', '--json', f'{work}/evidence.json'
    ]
    specialists[-1] = outputs['albef-specialist-t2i']
    assert albef_table[1:] == [
        'tools/analysis_tools/evidence_table.py', '--joint',
        outputs['albef-joint'], '--specialists', *specialists, '--data-root',
        f'data/synth_omnireid_{preset}', '--markdown',
        f'{work}/evidence-albef.md', '--json', f'{work}/evidence-albef.json'
    ]
    # A dry run writes nothing.
    assert not (tmp_path / 'evidence').exists()


def test_rows_run_in_the_order_given(tmp_path):
    cmds = commands(tmp_path, 'small', 'specialist-vi', 'joint')
    assert [cmd[1] for cmd in cmds] == ['tools/train.py', 'tools/test.py'] * 2
    assert 'irm-specialist-vi_' in cmds[0][2]
    assert 'irm_vit-tiny_all-tasks_' in cmds[2][2]


@pytest.mark.parametrize(
    'args,message',
    [((), "PRESET must be tiny or small, got ''"),
     (('large', ), "PRESET must be tiny or small, got 'large'"),
     (('tiny', 'joint', 'specialist-reid'),
      "unknown row 'specialist-reid'; rows: joint specialist-trad")])
def test_bad_arguments_are_refused_before_anything_runs(
        tmp_path, args, message):
    result = dry_run(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ''
