"""tools/analysis_tools/benchmark_gallery_index.py, run small in-process."""
import json
import os.path as osp
import sys

import pytest
from script_loader import load_script

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools',
                  'benchmark_gallery_index.py')


def test_small_run_prints_recall_and_times(monkeypatch, capsys):
    pytest.importorskip('faiss')
    bench = load_script(SCRIPT, 'benchmark_index')
    monkeypatch.setattr(sys, 'argv', [
        SCRIPT, '--sizes', '3000', '--queries', '30', '--dims', '32',
        '--nlist', '16', '--m', '8', '--nprobe', '1', '16'
    ])
    bench.main()
    report = json.loads(capsys.readouterr().out)
    assert report['machine']['cpu_count'] >= 1
    (size, ) = report['sizes']
    assert (size['gallery'], size['queries'], size['dims']) == (3000, 30, 32)
    rows = {(r['backend'], r.get('nprobe')): r for r in size['results']}
    assert set(rows) == {('exact', None), ('faiss-flat', None),
                         ('faiss-ivfpq', 1), ('faiss-ivfpq', 16)}
    assert rows['faiss-flat', None]['recall'] == 1.0
    # All 16 lists searched: only the codes' precision is lost.
    assert rows['faiss-ivfpq', 16]['recall'] >= \
        rows['faiss-ivfpq', 1]['recall']
    for row in size['results']:
        assert 0 <= row['recall'] <= 1 and row['ms_per_query'] > 0


def test_synthetic_features_are_identities_of_ten_images():
    bench = load_script(SCRIPT, 'benchmark_index')
    gallery, queries = bench.synthetic(50, 4, 8, 0.1, seed=0)
    assert gallery.shape == (50, 8) and queries.shape == (4, 8)
    # Images of one identity (i and i + 5) are close, others far.
    near = ((gallery[0] - gallery[5])**2).sum()
    far = ((gallery[0] - gallery[1])**2).sum()
    assert near < far
