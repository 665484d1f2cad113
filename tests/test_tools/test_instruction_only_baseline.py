"""tools/analysis_tools/instruction_only_baseline.py on hand-made lists."""
import json
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools',
                'instruction_only_baseline.py')


def write_lists(root, query, gallery):
    (root / 'datalist').mkdir(parents=True)
    for subset, rows in (('query', query), ('gallery', gallery)):
        lines = [
            f'img/{subset}{i}.png clothes/o{cid}.png {pid} {cid} {cam}'
            for i, (pid, cid, cam) in enumerate(rows)
        ]
        (root / 'datalist' /
         f'{subset}_ctcc.txt').write_text('\n'.join(lines) + '\n')


def run(root):
    out = subprocess.run([sys.executable, TOOL,
                          str(root), '--tasks', 'ctcc'],
                         cwd=REPO,
                         capture_output=True,
                         text=True,
                         timeout=120,
                         check=True).stdout
    return json.loads(out)['ctcc']


def test_a_shared_target_outfit_halves_the_precision(tmp_path):
    # The query (person 1) asks for outfit 5; person 2 wears it too.
    write_lists(
        tmp_path,
        query=[(1, 5, 0)],
        gallery=[(1, 5, 1), (2, 5, 1), (1, 6, 1), (3, 7, 1)])
    res = run(tmp_path)
    assert res['shared_target_fraction'] == 1.0
    # The true match is first (AP 1) or second (AP 1/2) by chance.
    r1, mean_ap = res['mean']['R1'], res['mean']['mAP']
    assert 0 < r1 < 100
    assert abs(mean_ap - (50 + r1 / 2)) < 0.02
    assert res['mean']['R5'] == 100


def test_an_unshared_target_outfit_is_found_by_the_instruction(tmp_path):
    write_lists(
        tmp_path,
        query=[(1, 5, 0), (2, 8, 0)],
        gallery=[(1, 5, 1), (1, 5, 2), (2, 8, 1), (1, 6, 1)])
    res = run(tmp_path)
    assert res['shared_target_fraction'] == 0.0
    assert res['mean']['R1'] == res['mean']['mAP'] == 100
