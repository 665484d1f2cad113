"""tools/train.py and tools/test.py end to end, on SynthOmniReID tiny."""
import json
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'baseline',
                  'baseline_vit-tiny_synth-omnireid-tiny.py')


def run_tool(*args):
    result = subprocess.run([sys.executable, *args],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, \
        result.stdout[-3000:] + result.stderr[-3000:]
    return result


def data_options(root):
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.datasets.0.data_root={root}',
        f'test_dataloader.dataset.datasets.1.data_root={root}',
    ]


@pytest.mark.slow
def test_train_then_test_writes_metrics(synth_tiny_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    common = data_options(synth_tiny_root) + [
        'model.backbone.arch.num_layers=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    ]
    run_tool(
        osp.join(REPO, 'tools', 'train.py'), CONFIG, '--work-dir', work_dir,
        '--no-validate', '--cfg-options', 'train_cfg.max_iters=4',
        'default_hooks.checkpoint.interval=2', *common)
    assert osp.exists(osp.join(work_dir, 'iter_2.pth'))
    assert osp.exists(osp.join(work_dir, 'iter_4.pth'))

    out = str(tmp_path / 'metrics.json')
    run_tool(
        osp.join(REPO, 'tools', 'test.py'), CONFIG,
        osp.join(work_dir, 'iter_4.pth'), '--work-dir', work_dir, '--out', out,
        '--out-item', 'metrics', '--cfg-options', *common)
    metrics = json.load(open(out))
    for key in ('trad/R1', 'trad/mAP', 'trad/mINP'):
        assert 0 <= metrics[key] <= 100, metrics


@pytest.mark.slow
def test_resume_flag_continues_from_the_latest_checkpoint(
        synth_tiny_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    common = data_options(synth_tiny_root) + [
        'model.backbone.arch.num_layers=1', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'default_hooks.checkpoint.interval=2'
    ]
    train = osp.join(REPO, 'tools', 'train.py')
    run_tool(train, CONFIG, '--work-dir', work_dir, '--no-validate',
             '--cfg-options', 'train_cfg.max_iters=2', *common)
    result = run_tool(train, CONFIG, '--work-dir', work_dir, '--resume',
                      '--no-validate', '--cfg-options',
                      'train_cfg.max_iters=4', *common)
    assert 'resumed epoch: 0, iter: 2' in result.stdout + result.stderr
    assert osp.exists(osp.join(work_dir, 'iter_4.pth'))
