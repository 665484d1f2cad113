"""tools/deploy/export_onnx.py on the tiny IRM and the baseline: the ONNX
files give the model's predict-mode features in onnxruntime."""
import contextlib
import io
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from script_loader import load_script

pytest.importorskip('onnx')
pytest.importorskip('onnxscript')
ort = pytest.importorskip('onnxruntime')

from mmreid_instruct.apis import init_model  # noqa: E402
from mmreid_instruct.structures import ReIDDataSample  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'deploy', 'export_onnx.py')
IRM_CONFIG = osp.join(REPO, 'configs', 'irm',
                      'irm_vit-tiny_synth-omnireid-tiny.py')
BASELINE_CONFIG = osp.join(REPO, 'configs', 'baseline',
                           'baseline_vit-tiny_synth-omnireid-tiny.py')
TEXTS = ['do not change clothes', 'a man in a red coat', 'ignore clothes']


def run_tool(*args):
    """``main(args)`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        tool = load_script(TOOL, 'export_onnx_tool')
        code = tool.main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def write_config(path, base, **overrides):
    """A config inheriting ``base``, one-layer ViTs and text encoder."""
    path.write_text(f'_base_ = [{base!r}]\nmodel = {overrides!r}\n')
    return str(path)


def save_checkpoint(config, path):
    """A checkpoint of the untrained model, its BN necks given running
    statistics far from (0, 1) so that a graph without them would not
    match."""
    model = init_model(config, device='cpu')
    generator = torch.Generator().manual_seed(0)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=generator))
            module.running_var.copy_(
                torch.rand(n, generator=generator) * 3 + 0.5)
    torch.save(dict(state_dict=model.state_dict()), path)
    return init_model(config, str(path), device='cpu')


def bgr_images(batch_size, size, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(
        0, 256, (batch_size, 3, *size), generator=generator, dtype=torch.uint8)


def rgb(bgr):
    return bgr.flip(1).float().numpy()


def predict(model, bgr, texts=None, instruction_bgr=None, task='trad'):
    """The model's ``pred_feature`` through its data preprocessor."""
    samples = [ReIDDataSample().set_task(task) for _ in range(len(bgr))]
    for i, sample in enumerate(samples):
        if texts is not None:
            sample.set_instruction(texts[i])
        if instruction_bgr is not None:
            sample.instruction_img = instruction_bgr[i]
    data = model.data_preprocessor(
        dict(inputs=list(bgr), data_samples=samples))
    with torch.no_grad():
        out = model(**data, mode='predict')
    return torch.stack([s.pred_feature for s in out]).numpy()


def session(path):
    return ort.InferenceSession(path, providers=['CPUExecutionProvider'])


@pytest.fixture(scope='module')
def irm_export(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('irm')
    layer = dict(arch=dict(num_layers=1))
    config = write_config(
        tmp / 'irm.py',
        IRM_CONFIG,
        backbone=layer,
        image_instruction_encoder=dict(backbone=layer),
        text_encoder=dict(num_layers=1))
    model = save_checkpoint(config, tmp / 'irm.pth')
    out = tmp / 'export' / 'irm.onnx'
    code, stdout, stderr = run_tool(config, tmp / 'irm.pth', '--out', out,
                                    '--check')
    assert code == 0, stderr
    reports = {r['graph']: r for r in map(json.loads, stdout.splitlines())}
    return model, reports, config, tmp


@pytest.mark.slow
def test_one_file_per_graph_each_checked(irm_export):
    _, reports, _, tmp = irm_export
    assert sorted(reports) == ['encoded', 'image', 'text', 'text_encoder']
    for name, report in reports.items():
        suffix = '' if name == 'image_only' else f'_{name}'
        assert report['file'] == str(tmp / 'export' / f'irm{suffix}.onnx')
        assert osp.isfile(report['file'])
        check = report['check']
        assert check['ok'] and check['max_abs'] <= 1e-4, check
        assert [b for b, _ in check['runs']] == [1, 3]
    assert reports['text']['inputs'] == [
        ['images', ['batch', 3, 128, 64], 'float32'],
        ['input_ids', ['batch', 'length'], 'int64'],
        ['attention_mask', ['batch', 'length'], 'int64'],
    ]
    assert reports['text']['outputs'] == [[
        'feature', ['batch', 384], 'float32'
    ]]


@pytest.mark.slow
def test_text_graph_at_two_batch_sizes(irm_export):
    model, reports, _, _ = irm_export
    text = session(reports['text']['file'])
    for texts in (TEXTS[1:2], TEXTS):
        bgr = bgr_images(len(texts), (128, 64), seed=len(texts))
        tokens = model.text_encoder.tokenize(texts)
        got = text.run(
            None,
            dict(
                images=rgb(bgr),
                input_ids=tokens['input_ids'].numpy(),
                attention_mask=tokens['attention_mask'].numpy()))[0]
        want = predict(model, bgr, texts=texts)
        assert got.shape == (len(texts), 384)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


@pytest.mark.slow
def test_text_encoder_then_encoded_graph(irm_export):
    model, reports, _, _ = irm_export
    encoder = session(reports['text_encoder']['file'])
    encoded = session(reports['encoded']['file'])
    # A fixed instruction, encoded once, for a batch of four images.
    tokens = model.text_encoder.tokenize(TEXTS[:1])
    instr_tokens, instr_mask, instr_cls = encoder.run(None, {
        k: v.numpy()
        for k, v in tokens.items()
    })
    with torch.no_grad():
        want_instr = model.text_encoder(tokens)
    np.testing.assert_allclose(
        instr_cls, want_instr['cls'].numpy(), rtol=0, atol=1e-4)
    bgr = bgr_images(4, (128, 64), seed=5)
    got = encoded.run(
        None,
        dict(
            images=rgb(bgr),
            instr_tokens=np.repeat(instr_tokens, 4, axis=0),
            instr_mask=np.repeat(instr_mask, 4, axis=0)))[0]
    want = predict(model, bgr, texts=TEXTS[:1] * 4)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


@pytest.mark.slow
def test_image_instruction_graph(irm_export):
    model, reports, _, _ = irm_export
    image = session(reports['image']['file'])
    for batch_size in (1, 3):
        bgr = bgr_images(batch_size, (128, 64), seed=6)
        instruction_bgr = bgr_images(batch_size, (64, 64), seed=7)
        got = image.run(
            None,
            dict(images=rgb(bgr), instruction_images=rgb(instruction_bgr)))[0]
        want = predict(
            model, bgr, instruction_bgr=instruction_bgr, task='ctcc')
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


@pytest.mark.slow
def test_check_failure_exits_1(irm_export, tmp_path, monkeypatch):
    import mmreid_instruct.deploy as deploy
    _, _, config, tmp = irm_export
    monkeypatch.setattr(
        deploy, 'check_onnx',
        lambda graph, path: dict(max_abs=2e-4, max_rel=1e-5, runs=[[1, None]]))
    code, stdout, err = run_tool(config, tmp / 'irm.pth', '--out',
                                 tmp_path / 'irm.onnx', '--task', 'ctcc',
                                 '--check')
    assert code == 1
    assert 'differs from PyTorch by more than 0.0001' in err
    assert "['image']" in err
    report = json.loads(stdout)
    assert report['graph'] == 'image' and not report['check']['ok']
    assert osp.isfile(tmp_path / 'irm_image.onnx')


def test_bad_task_and_bad_config_fail_before_any_work(tmp_path):
    out = tmp_path / 'x.onnx'
    missing = tmp_path / 'missing.pth'
    code, _, err = run_tool(IRM_CONFIG, missing, '--out', out, '--task', 't2i')
    assert code == 2 and 'text-to-image retrieval is not exported' in err
    code, _, err = run_tool(IRM_CONFIG, missing, '--out', out, '--task',
                            'reid')
    assert code == 2 and "Unknown task 'reid'" in err
    no_model = tmp_path / 'no_model.py'
    no_model.write_text('work_dir = "x"\n')
    code, _, err = run_tool(no_model, missing, '--out', out)
    assert code == 2 and 'no_model.py has no model' in err
    assert not list(tmp_path.glob('*.onnx'))


def test_a_model_the_export_does_not_know(tmp_path):
    config = tmp_path / 'linear.py'
    config.write_text("model = dict(type='mmpretrain.ImageClassifier', "
                      "backbone=dict(type='mmpretrain.LeNet5'))\n")
    code, _, err = run_tool(config, tmp_path / 'missing.pth', '--out',
                            tmp_path / 'x.onnx')
    assert code == 2
    assert 'supports InstructReID and ImageReID models, got ' \
        'ImageClassifier' in err, err


@pytest.mark.slow
def test_baseline_from_the_command_line(tmp_path):
    config = write_config(
        tmp_path / 'baseline.py',
        BASELINE_CONFIG,
        backbone=dict(arch=dict(num_layers=1)))
    model = save_checkpoint(config, tmp_path / 'baseline.pth')
    out = tmp_path / 'baseline.onnx'
    command = [
        sys.executable, TOOL, config,
        str(tmp_path / 'baseline.pth'), '--out',
        str(out), '--task', 'sc', '--check'
    ]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report['graph'] == 'image_only' and report['file'] == str(out)
    bgr = bgr_images(2, (128, 64), seed=8)
    got = session(str(out)).run(None, dict(images=rgb(bgr)))[0]
    want = predict(model, bgr, task='trad')
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)
