"""tools/analysis_tools/benchmark_train.py and benchmark_infer.py, run tiny
(1-layer ViTs, one iteration) on CPU: the JSON they print."""
import json
import os.path as osp

import pytest
import torch
from script_loader import load_script

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
IRM = 'configs/irm/irm_vit-tiny_synth-omnireid-tiny.py'
BASELINE = 'configs/baseline/baseline_vit-tiny_synth-omnireid-tiny.py'
# 1-layer ViTs and a 1-layer random text encoder instead of MiniLM.
ONE_LAYER = [
    '--cfg-options', 'model.backbone.arch.num_layers=1',
    'model.image_instruction_encoder.backbone.arch.num_layers=1',
    'model.text_encoder.pretrained=None', 'model.text_encoder.tokenizer=char',
    'model.text_encoder.config.hidden_size=32',
    'model.text_encoder.config.num_hidden_layers=1',
    'model.text_encoder.config.num_attention_heads=2',
    'model.text_encoder.config.intermediate_size=64'
]


def load_tool(name):
    return load_script(osp.join(REPO, 'tools', 'analysis_tools', f'{name}.py'))


def check_entry(entry, batch_size):
    assert entry['step_s'] > 0 and len(entry['round_step_s']) == 1
    assert entry['img_per_s'] == pytest.approx(batch_size / entry['step_s'])
    assert entry['peak_memory_kind'] == 'process_rss'
    assert isinstance(entry['peak_memory_mib'], float)
    assert entry['gflops_per_img'] > 0


@pytest.mark.parametrize('tool', ['benchmark_train', 'benchmark_infer'])
def test_benchmark_prints_the_json_fields(tool, capsys):
    report = load_tool(tool).main([
        osp.join(REPO, IRM), '--batch-size', '4', '--iters', '1', '--warmup',
        '1', '--rounds', '1', '--device', 'cpu', *ONE_LAYER
    ])
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(report))
    assert report['benchmark'] == tool.split('_')[1]
    assert report['device'] == 'cpu' and report['device_name']
    assert report['dtype'] == 'float32' and report['batch_size'] == 4
    # Round robin over the config's training lists, t2i last.
    assert report['tasks'] == ['trad', 'cc', 'ctcc', 'li', 'vi', 't2i']
    for name in ('model', 'plain_vit'):
        check_entry(report[name], 4)
    # One round: the paired ratio is the ratio of the two rounds.
    assert report['ratio_to_plain_vit'] == pytest.approx(
        report['model']['img_per_s'] / report['plain_vit']['img_per_s'])
    # The IRM runs the plain ViT's backbone and more.
    assert report['flops_ratio_to_plain_vit'] == pytest.approx(
        report['model']['gflops_per_img'] /
        report['plain_vit']['gflops_per_img'])
    assert report['flops_ratio_to_plain_vit'] > 1
    # One counted step per training list: each task once, in turn.
    by_task = report['model']['gflops_per_img_by_task']
    assert set(by_task) == set(report['tasks'])
    assert report['model']['gflops_per_img'] == pytest.approx(
        sum(by_task.values()) / len(by_task))
    # cc and ctcc run the same parts on inputs of the same shapes.
    assert by_task['cc'] == by_task['ctcc'] != by_task['trad']
    assert 'compare' not in report


def test_train_benchmark_bf16_with_a_second_config(capsys):
    report = load_tool('benchmark_train').main([
        osp.join(REPO, IRM), '--compare',
        osp.join(REPO, BASELINE), '--batch-size', '4', '--iters', '1',
        '--warmup', '1', '--rounds', '1', '--device', 'cpu', '--amp', 'bf16',
        *ONE_LAYER, '--compare-cfg-options', 'model.backbone.arch.num_layers=1'
    ])
    assert report['dtype'] == 'bfloat16'
    check_entry(report['compare'], 4)
    assert report['step_time_ratio_to_compare'] == pytest.approx(
        report['model']['step_s'] / report['compare']['step_s'])
    assert report['flops_ratio_to_compare'] == pytest.approx(
        report['model']['gflops_per_img'] /
        report['compare']['gflops_per_img'])
    # The baseline trains one list: every counted step is a trad step.
    assert list(report['compare']['gflops_per_img_by_task']) == ['trad']
    assert len(set(report['compare']['step_gflops_per_img'])) == 1


def test_train_flops_of_the_plain_vit_are_three_times_its_forward(capsys):
    # A training step runs the forward pass, the input and the weight
    # gradients: 3x the forward FLOPs (the patch embedding needs no input
    # gradient, hence a little less).
    args = [
        osp.join(REPO, BASELINE), '--batch-size', '4', '--iters', '1',
        '--warmup', '1', '--rounds', '1', '--device', 'cpu', '--cfg-options',
        'model.backbone.arch.num_layers=1'
    ]
    train = load_tool('benchmark_train').main(args)['plain_vit']
    infer = load_tool('benchmark_infer').main(args)['plain_vit']
    assert 2.5 < train['gflops_per_img'] / infer['gflops_per_img'] < 3


def test_synthetic_batches_train_the_model_on_every_task():
    from mmreid_instruct.registry import MODELS
    from mmreid_instruct.utils import register_all_modules
    from mmreid_instruct.utils.speed_benchmark import (SyntheticBatches,
                                                       load_benchmark_config)
    register_all_modules()
    cfg = load_benchmark_config(osp.join(REPO, IRM))
    cfg.model.backbone.arch.num_layers = 1
    cfg.model.image_instruction_encoder.backbone.arch.num_layers = 1
    cfg.model.text_encoder = dict(
        type='TextInstructionEncoder',
        config=dict(
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64))
    model = MODELS.build(cfg.model)
    batches = SyntheticBatches(cfg.model, batch_size=8)
    for data in batches.batches:
        data = model.data_preprocessor(data, True)
        losses = model(**data, mode='loss')
        assert all(torch.isfinite(v).all() for v in losses.values())
    samples = {
        b['data_samples'][0].task: b['data_samples']
        for b in batches.batches
    }
    assert 'instruction_img' in samples['ctcc'][0]
    assert samples['trad'][0].instruction != samples['trad'][1].instruction
    assert len({s.instruction for s in samples['li']}) == 2  # 2 identities
    assert samples['li'][0].metainfo['dataset_name'] == 'synth_omnireid'


def test_data_benchmark_prints_decode_transform_and_loader_costs(
        synth_tiny_root, capsys):
    report = load_tool('benchmark_data').main([
        osp.join(REPO, BASELINE), '--num-images', '6', '--workers', '0',
        '--pin-memory', 'false', '--batches', '1', '--cfg-options',
        f'train_dataloader.dataset.data_root={synth_tiny_root}'
    ])
    assert json.loads(capsys.readouterr().out) == json.loads(
        json.dumps(report))
    assert report['num_images'] == 6
    decode = report['decode']
    assert set(decode['ms_per_image']) == {'cv2', 'pillow'}
    # PNG decodes to the same pixels with either backend.
    assert decode['identical_pixels'] is True
    names = [t['transform'] for t in report['transforms']]
    assert names[0] == 'LoadReIDImage' and names[-1] == 'PackReIDInputs'
    assert sum(t['share'] for t in report['transforms']) == pytest.approx(1)
    (loader, ) = report['loader']
    assert loader['num_workers'] == 0 and loader['pin_memory'] is False
    assert loader['img_per_s'] > 0
