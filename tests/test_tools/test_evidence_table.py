"""tools/analysis_tools/evidence_table.py on fake metrics files and
hand-made lists."""
import itertools
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from script_loader import load_script

from mmreid_instruct.datasets.omnireid_list import T2I_GALLERY_PLACEHOLDER

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'evidence_table.py')
TASKS = ('trad', 'cc', 'ctcc', 'li', 'vi', 't2i')


@pytest.fixture(scope='module')
def tool():
    return load_script(TOOL)


def write_json(path, data):
    path.write_text(json.dumps(data))
    return str(path)


def metrics_file(path, results, dataset='synth_omnireid'):
    """A tools/test.py --out file with R1/mAP/mINP of ``{task: (r1, map)}``."""
    data = {}
    for task, (r1, mean_ap) in results.items():
        prefix = f'{dataset}/{task}' if dataset else task
        data.update({
            f'{prefix}/R1': r1,
            f'{prefix}/R5': 100.0,
            f'{prefix}/mAP': mean_ap,
            f'{prefix}/mINP': 1.0
        })
    return write_json(path, data)


def instruction(task, subset, i, cid):
    if task == 't2i' and subset == 'gallery':
        return T2I_GALLERY_PLACEHOLDER  # an image row
    return dict(
        trad='none',
        vi='none',
        cc=f'clothes/crop{i}.png',
        ctcc=f'clothes/o{cid}.png',
        li=f'li_{cid}',
        t2i=f't2i_{subset}{i}')[task]


def write_lists(root, task, query, gallery):
    """List files of a task from ``(pid, clothes_id, camid)`` rows, and
    the captions they name."""
    (root / 'datalist').mkdir(parents=True, exist_ok=True)
    captions_file = root / 'datalist' / 'captions.json'
    captions = json.loads(captions_file.read_text()) \
        if captions_file.exists() else {}
    for subset, rows in (('query', query), ('gallery', gallery)):
        lines = []
        for i, (pid, cid, cam) in enumerate(rows):
            text = instruction(task, subset, i, cid)
            if task == 'li' or task == 't2i' and subset == 'query':
                captions[text] = f'a person in outfit {cid}'
            lines.append(f'img/{task}_{subset}{i}.png {text} {pid} {cid} '
                         f'{cam}')
        (root / 'datalist' /
         f'{subset}_{task}.txt').write_text('\n'.join(lines) + '\n')
    captions_file.write_text(json.dumps(captions))


# One query (person 1, outfit 5, camera 0). Its same-camera item is junk;
# three items are ranked, one of them the true match: E[AP] over the 3!
# orders = (1 + 1/2 + 1/3) / 3.
QUERY = [(1, 5, 0)]
GALLERY = [(1, 5, 0), (1, 5, 1), (2, 5, 1), (3, 7, 1)]
ONE_IN_THREE = 100 * (1 + 1 / 2 + 1 / 3) / 3


def test_random_ranking_map_is_the_expectation(tool, tmp_path):
    write_lists(tmp_path, 'trad', QUERY, GALLERY)
    assert tool.random_ranking_map(
        str(tmp_path), 'trad',
        'datalist/{subset}_{task}.txt') == pytest.approx(ONE_IN_THREE)
    # ctcc: the person in another outfit is a negative, not a match.
    write_lists(tmp_path, 'ctcc', QUERY, [(1, 5, 1), (1, 6, 1), (2, 5, 1)])
    assert tool.random_ranking_map(
        str(tmp_path), 'ctcc',
        'datalist/{subset}_{task}.txt') == pytest.approx(ONE_IN_THREE)
    # t2i: no camera rule, so the same-camera item is a match too: 2
    # matches among 4 items, every placement of the matches equally likely.
    write_lists(tmp_path, 't2i', QUERY, GALLERY)
    placements = list(itertools.combinations(range(1, 5), 2))
    expected = 100 * np.mean([(1 / a + 2 / b) / 2 for a, b in placements])
    assert tool.random_ranking_map(
        str(tmp_path), 't2i',
        'datalist/{subset}_{task}.txt') == pytest.approx(expected)


def rows_for(tool, joint, specialist, random_map=None, instruction_map=None):
    """Table rows from ``{task: mAP}`` of the joint model and specialists."""
    joint = {t: dict(R1=0.0, mAP=v) for t, v in joint.items()}
    specialist = {t: dict(R1=0.0, mAP=v) for t, v in specialist.items()}
    return tool.build_rows(
        joint,
        specialist,
        random_map=random_map,
        instruction_map=instruction_map)


def test_targets_name_what_fails(tool):
    joint = dict(trad=40, cc=30, ctcc=60, li=52, vi=16, t2i=14)
    specialist = dict(trad=42, cc=30.5, ctcc=50, li=40, vi=10, t2i=10)
    rows = rows_for(
        tool,
        joint,
        specialist,
        random_map=dict(trad=4, cc=4, ctcc=2, li=2, vi=5, t2i=5),
        instruction_map=dict(ctcc=50, li=50))
    assert [r['diff_mAP'] for r in rows] == [-2, -0.5, 10, 12, 6, 4]
    checks = {c['target']: c for c in tool.check_targets(rows)}
    every = checks['joint mAP >= specialist mAP - 1 on every task']
    assert every['met'] is False and every['detail'] == 'trad -2.00'
    assert checks['joint mAP > specialist mAP on at least 4 of 6 '
                  'tasks']['met'] is True
    instructed = checks['ctcc and li: joint mAP >= instruction-only mAP + 5']
    assert instructed['met'] is False
    assert instructed['detail'] == 'li 52.00 against 55.00 = 50.00 + 5'
    chance = checks['vi and t2i: joint mAP >= 3 x random mAP']
    assert (chance['met'],
            chance['detail']) == (False, 't2i 14.00 against 15.00 = 3 x 5.00')
    # Two tasks above the specialist (vi equal) are not enough.
    rows = rows_for(tool, joint, dict(specialist, vi=16, t2i=20))
    checks = {c['target']: c for c in tool.check_targets(rows)}
    above = checks['joint mAP > specialist mAP on at least 4 of 6 tasks']
    assert (above['met'], above['detail']) == (False, '2 of 6 (ctcc, li)')


def test_missing_numbers_are_reported_not_checked(tool):
    rows = rows_for(tool, dict(trad=40, vi=16), dict(trad=38))
    checks = tool.check_targets(rows)
    assert [c['met'] for c in checks] == [None] * 4
    assert checks[0]['detail'] == 'missing: cc, ctcc, li, vi, t2i'
    assert checks[3]['detail'] == 'missing: vi, t2i'
    table = tool.format_table(rows).splitlines()
    # No one-task run, no references: no such columns.
    assert table[0] == ('| task | joint R1 | joint mAP | specialist R1 | '
                        'specialist mAP | joint - specialist mAP |')
    assert table[2] == '| `trad` | 0.00 | 40.00 | 0.00 | 38.00 | +2.00 |'
    assert table[3] == '| `cc` |  |  |  |  |  |'


def test_metrics_files_are_checked(tool, tmp_path):
    both = metrics_file(tmp_path / 'both.json', dict(trad=(1, 2), cc=(3, 4)))
    with pytest.raises(
            ValueError,
            match='must hold one task, this one '
            r"holds \['cc', 'trad'\]"):
        tool.specialist_results([both], 'synth_omnireid')
    a = metrics_file(tmp_path / 'a.json', dict(li=(1, 2)))
    b = metrics_file(tmp_path / 'b.json', dict(li=(1, 2)), dataset=None)
    with pytest.raises(ValueError, match='two specialist files for li'):
        tool.specialist_results([a, b], 'synth_omnireid')
    # Keys of a single test set (<task>/<metric>) are read too.
    assert tool.run_results(
        b, 'synth_omnireid') == dict(li=dict(R1=1.0, mAP=2.0))
    other = metrics_file(tmp_path / 'o.json', dict(trad=(1, 2)), 'market')
    with pytest.raises(
            ValueError,
            match='no R1/mAP of any task under '
            'synth_omnireid/<task>/'):
        tool.run_results(other, 'synth_omnireid')
    half = write_json(tmp_path / 'h.json', {'synth_omnireid/vi/mAP': 3.0})
    with pytest.raises(
            ValueError,
            match=r"has \['mAP'\] of "
            r"synth_omnireid/vi but not \['R1'\]"):
        tool.run_results(half, 'synth_omnireid')
    (tmp_path / 'bad.json').write_text('{"a": ')
    with pytest.raises(ValueError, match='bad.json: not a JSON file'):
        tool.load_metrics(str(tmp_path / 'bad.json'))
    with pytest.raises(
            FileNotFoundError,
            match='albef-joint.json: no such file; expected the --out file'):
        tool.load_metrics(str(tmp_path / 'albef-joint.json'))


def test_command_line_prints_and_writes_the_table(tmp_path):
    data = tmp_path / 'data'
    for task in TASKS:
        write_lists(data, task, QUERY, GALLERY)
    joint = metrics_file(tmp_path / 'joint.json', {
        t: (50.0, 40.0 + i)
        for i, t in enumerate(TASKS)
    })
    one_task = metrics_file(tmp_path / 'one.json',
                            {t: (20.0, 10.0)
                             for t in TASKS})
    specialists = [
        metrics_file(tmp_path / f'{t}.json', {t: (30.0, 41.5)}) for t in TASKS
    ]
    command = [
        sys.executable, TOOL, '--joint', joint, '--specialists', *specialists,
        '--one-task', one_task, '--data-root',
        str(data), '--seeds', '2', '--markdown',
        str(tmp_path / 'table.md'), '--json',
        str(tmp_path / 'table.json')
    ]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        '| task | joint R1 | joint mAP | specialist R1 | specialist mAP | '
        'joint - specialist mAP | one-task R1 | one-task mAP | random mAP | '
        'instruction-only mAP |')
    assert lines[2] == ('| `trad` | 50.00 | 40.00 | 30.00 | 41.50 | -1.50 | '
                        '20.00 | 10.00 | 61.11 |  |')
    saved = json.loads((tmp_path / 'table.json').read_text())
    rows = {r['task']: r for r in saved['rows']}
    assert list(rows) == list(TASKS)
    assert rows['trad']['random_mAP'] == pytest.approx(ONE_IN_THREE)
    # ctcc and li: the query's outfit is worn by another person in the
    # gallery, so the instruction-only ranking puts the match first or
    # second (AP 1 or 1/2), by chance.
    instruction_only = {t: rows[t]['instruction_only_mAP'] for t in rows}
    assert instruction_only['ctcc'] in (50, 75, 100)
    assert instruction_only['li'] in (50, 75, 100)
    assert lines[4].startswith('| `ctcc` | 50.00 | 42.00 | 30.00 | 41.50 | '
                               '+0.50 | 20.00 | 10.00 | 61.11 | '
                               f'{instruction_only["ctcc"]:.2f} |')
    assert lines[8:] == [
        '',
        '- joint mAP >= specialist mAP - 1 on every task: not met '
        '(trad -1.50)',
        '- joint mAP > specialist mAP on at least 4 of 6 tasks: met',
        '- ctcc and li: joint mAP >= instruction-only mAP + 5: not met '
        f'(ctcc 42.00 against {instruction_only["ctcc"] + 5:.2f} = '
        f'{instruction_only["ctcc"]:.2f} + 5; '
        f'li 43.00 against {instruction_only["li"] + 5:.2f} = '
        f'{instruction_only["li"]:.2f} + 5)',
        '- vi and t2i: joint mAP >= 3 x random mAP: not met '
        '(vi 44.00 against 183.33 = 3 x 61.11; t2i 45.00 against '
        f'{3 * rows["t2i"]["random_mAP"]:.2f} = 3 x '
        f'{rows["t2i"]["random_mAP"]:.2f})',
    ]
    assert (tmp_path / 'table.md').read_text() == result.stdout
    assert saved['checks'][1]['met'] is True


def test_without_the_joint_model_the_targets_are_not_checked(tmp_path):
    specialists = [
        metrics_file(tmp_path / f'{t}.json', {t: (30.0, 41.5)}) for t in TASKS
    ]
    result = subprocess.run(
        [sys.executable, TOOL, '--specialists', *specialists],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2] == '| `trad` |  |  | 30.00 | 41.50 |  |'
    every_task = 'trad, cc, ctcc, li, vi, t2i'
    assert lines[8:] == [
        '',
        '- joint mAP >= specialist mAP - 1 on every task: not checked '
        f'(missing: {every_task})',
        '- joint mAP > specialist mAP on at least 4 of 6 tasks: not checked '
        f'(missing: {every_task})',
        '- ctcc and li: joint mAP >= instruction-only mAP + 5: not checked '
        '(missing: ctcc, li)',
        '- vi and t2i: joint mAP >= 3 x random mAP: not checked '
        '(missing: vi, t2i)',
    ]
