"""tools/analysis_tools/feature_spread.py: its report on hand-made CLS
tokens, and the command on a tiny IRM checkpoint."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from script_loader import load_script

from mmreid_instruct.models.heads import T2IHead

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'feature_spread.py')

feature_spread = load_script(TOOL)
tiny_irm = load_script('tests/test_apis/tiny_irm.py')


def test_report_of_a_common_vector_plus_noise():
    common = torch.full((1, 4), 5.)  # norm 10
    noise = torch.tensor([[1., 0, 0, 0], [-1., 0, 0, 0], [0, 1., 0, 0],
                          [0, -1., 0, 0]])
    report = feature_spread.spread_report(common + 0.1 * noise)
    assert report['num_images'] == 4
    assert report['cls']['common_norm'] == pytest.approx(10.)
    # Per-channel variances 0.005, 0.005, 0, 0: spread sqrt(0.01) = 0.1.
    assert report['cls']['spread'] == pytest.approx(0.1)
    assert report['cls']['spread_ratio'] == pytest.approx(0.01)
    assert 't2i_embedding' not in report and 'patch_tokens' not in report
    # Patch tokens: the same numbers over the rows given.
    patches = torch.tensor([[3., 4.], [3., 4.], [1., 4.], [5., 4.]])
    report = feature_spread.spread_report(common + 0.1 * noise, None, patches)
    assert report['patch_tokens'] == pytest.approx(
        dict(common_norm=5., spread=2**0.5, spread_ratio=2**0.5 / 5))


def test_t2i_embeddings_of_collapsed_cls_with_and_without_a_neck():
    torch.manual_seed(0)
    cls = torch.randn(1, 16) * 10 + 0.1 * torch.randn(64, 16)
    plain = T2IHead(img_channels=16, text_channels=8, embed_dims=8)
    with_neck = T2IHead(
        img_channels=16,
        text_channels=8,
        embed_dims=8,
        img_neck=dict(type='BNNeck'))
    with_neck.img_neck.train()  # batch statistics
    cos_plain = feature_spread.spread_report(cls, plain)['t2i_embedding']
    cos_neck = feature_spread.spread_report(cls, with_neck)['t2i_embedding']
    assert cos_plain['min_pairwise_cosine'] > 0.99
    assert cos_neck['mean_pairwise_cosine'] < 0.5
    assert cos_neck['min_pairwise_cosine'] <= cos_neck[
        'mean_pairwise_cosine'] <= 1


@pytest.mark.slow
def test_command_on_a_tiny_irm(synth_tiny_root, tmp_path):
    config, checkpoint = tiny_irm.dump_config_and_checkpoint(
        synth_tiny_root, tmp_path)

    def run(*args):
        return subprocess.run(
            [sys.executable, TOOL, config, checkpoint, *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            env=dict(os.environ, OMP_NUM_THREADS='1'))

    result = run('--num-images', '20', '--batch-size', '8')
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert (report['task'], report['subset']) == ('t2i', 'gallery')
    assert report['num_images'] == 20
    assert report['cls']['spread'] > 0
    assert report['patch_tokens']['spread'] > 0
    assert -1 <= report['t2i_embedding']['min_pairwise_cosine'] <= 1
    report = json.loads(
        run('--task', 'trad', '--subset', 'query', '--num-images', '5').stdout)
    assert (report['task'], report['num_images']) == ('trad', 5)
    result = run('--cfg-options', 'model.t2i_head.no_such_key=1')
    assert result.returncode != 0
    assert 'model.t2i_head.no_such_key' in result.stderr
    result = run('--task', 'no-such-task')
    assert result.returncode != 0
    assert "task 'no-such-task'" in result.stderr
    assert 'tiny_irm.py' in result.stderr
