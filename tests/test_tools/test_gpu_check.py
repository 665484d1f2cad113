"""tools/analysis_tools/gpu_check.sh in its CPU dry-run mode: the files it
writes."""
import json
import os
import os.path as osp
import subprocess

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMALL = (
    '--cfg-options model.backbone.arch.num_layers=1 '
    'model.image_instruction_encoder.backbone.arch.num_layers=1 '
    'model.text_encoder.pretrained=None model.text_encoder.tokenizer=char '
    'model.text_encoder.config.hidden_size=32 '
    'model.text_encoder.config.num_hidden_layers=1 '
    'model.text_encoder.config.num_attention_heads=2 '
    'model.text_encoder.config.intermediate_size=64')


@pytest.mark.slow
def test_dry_run_writes_every_result(tmp_path):
    out = tmp_path / 'gpu_check'
    env = dict(os.environ, DRY_RUN='1', EXTRA_ARGS=SMALL, OMP_NUM_THREADS='1')
    env.pop('CUDA_VISIBLE_DEVICES', None)
    result = subprocess.run(
        ['bash', 'tools/analysis_tools/gpu_check.sh',
         str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / 'summary.txt').read_text().splitlines() == [
        'cuda_tests: ok', 'train_bf16_bs4: ok', 'infer_bf16_bs4: ok'
    ]
    # The CUDA tests were collected (a dry run does not run them).
    log = (out / 'cuda_tests.log').read_text()
    assert 'test_tiny_irm_mixed_precision_step_on_cuda' in log
    assert (out / 'cuda_tests.xml').exists()
    for kind in ('train', 'infer'):
        report = json.loads((out / f'{kind}_bf16_bs4.json').read_text())
        assert report['benchmark'] == kind
        assert report['dtype'] == 'bfloat16' and report['batch_size'] == 4
        assert report['ratio_to_plain_vit'] > 0
