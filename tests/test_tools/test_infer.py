"""tools/infer.py writes results.json and one PNG per query."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import pytest
from script_loader import load_script

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
tiny_irm = load_script('tests/test_apis/tiny_irm.py')


def run_infer(*args):
    result = subprocess.run(
        [sys.executable,
         osp.join(REPO, 'tools', 'infer.py'), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, \
        result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.mark.slow
def test_infer_writes_results_and_pngs(synth_tiny_root, tmp_path):
    config, checkpoint = tiny_irm.dump_config_and_checkpoint(
        synth_tiny_root, tmp_path)
    people = osp.join(synth_tiny_root, 'images', 'rgb')
    gallery = tmp_path / 'gallery'
    gallery.mkdir()
    for pid in sorted(os.listdir(people))[:3]:
        for name in sorted(os.listdir(osp.join(people, pid)))[:4]:
            shutil.copy(osp.join(people, pid, name), gallery / name)
    images = sorted(str(p) for p in gallery.iterdir())
    out_dir = tmp_path / 'out'
    common = [
        '--gallery',
        str(gallery), '--topk', '5', '--device', 'cpu', '--cache-dir',
        str(tmp_path / 'cache')
    ]
    run_infer(config, checkpoint, '--query', images[1], images[6], '--task',
              'sc', '--out-dir', str(out_dir), *common)
    results = json.load(open(out_dir / 'results.json'))
    assert results['task'] == 'sc'
    queries = results['queries']
    assert [q['query'] for q in queries] == [images[1], images[6]]
    for query in queries:
        assert len(query['matches']) == 5
        assert query['matches'][0]['img_path'] == query['query']
    pngs = sorted(n for n in os.listdir(out_dir) if n.endswith('.png'))
    assert len(pngs) == 2
    for name in pngs:
        assert cv2.imread(str(out_dir / name)) is not None

    # An instruction image (cc), into another folder.
    run_infer(config, checkpoint, '--query', images[0], '--task',
              'cc', '--instruction-img', images[2], '--out-dir',
              str(tmp_path / 'cc'), *common)
    results = json.load(open(tmp_path / 'cc' / 'results.json'))
    assert results['queries'][0]['instruction'] == images[2]
    assert len(os.listdir(tmp_path / 'cc')) == 2
