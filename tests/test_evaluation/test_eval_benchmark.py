"""Smoke test of tools/analysis_tools/eval_benchmark.py at toy shapes."""
import json
import os.path as osp
import sys

from script_loader import load_script

SCRIPT = osp.join(
    osp.dirname(osp.dirname(osp.dirname(__file__))), 'tools', 'analysis_tools',
    'eval_benchmark.py')


def test_benchmark_prints_json(monkeypatch, capsys):
    bench = load_script(SCRIPT)
    monkeypatch.setattr(
        bench, 'MARKET',
        dict(num_query=40, num_gallery=300, num_ids=20, num_cams=3))
    monkeypatch.setattr(
        bench, 'MSMT17',
        dict(num_query=50, num_gallery=400, num_ids=30, num_cams=4))
    monkeypatch.setattr(bench, 'CHECKED_QUERIES', 10)
    monkeypatch.setattr(sys, 'argv',
                        [SCRIPT, '--repeats', '1', '--msmt-queries', '20'])
    bench.main()
    report = json.loads(capsys.readouterr().out)
    assert [c['difficulty']
            for c in report['market']] == ['strong', 'weak', 'random']
    for case in report['market']:
        assert case['same_as_stable_reference'] is True
        assert case['ours_ratio_to_argsort'] == (
            case['ours_s'] / case['argsort_s'])
        assert case['ours_ratio_to_reference'] == (
            case['ours_s'] / case['reference_s'])
    msmt = report['msmt17']
    assert msmt['from_features_queries'] == 20
    assert msmt['ours_peak_bytes_beyond_features'] > 0
    assert msmt['ours_ratio_to_argsort'] == (
        msmt['ours_s'] / msmt['argsort_s'])
    assert report['numba']['compile_s'] > 0
