"""The configs of the evidence experiments (docs/en/advanced_guides/
evidence.md): each specialist is its joint model's parts for one task,
trained like the joint model on that task's list alone; the one-task twins
see the samples of the all-tasks runs; the ALBEF-style joint models are the
all-tasks twins of the irm-albef configs."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmreid_instruct.registry import TRANSFORMS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
IRM = osp.join(REPO, 'configs', 'irm')
TASKS = ('trad', 'cc', 'ctcc', 'li', 'vi', 't2i')
PRESETS = ('tiny', 'small')
#: What each specialist keeps of the joint model.
BLIND_TASKS = ('trad', 'vi', 't2i')
IMAGE_INSTRUCTION_TASKS = ('cc', 'ctcc')


def joint(preset, albef=False):
    name = 'irm-albef' if albef else 'irm'
    return Config.fromfile(
        osp.join(IRM, f'{name}_vit-tiny_all-tasks_synth-omnireid-{preset}.py'))


def specialist(preset, task, albef=False):
    name = 'irm-albef-specialist' if albef else 'irm-specialist'
    return Config.fromfile(
        osp.join(IRM, 'specialists',
                 f'{name}-{task}_vit-tiny_synth-omnireid-{preset}.py'))


def joint_set(cfg, loader, task, subset):
    """The dataset config of ``task`` and ``subset`` in a joint config's
    loader, with the concatenation's defaults applied."""
    dataset = cfg[loader].dataset
    found = [
        dict(dataset.defaults, **d) for d in dataset.datasets
        if d.task == task and d.subset == subset
    ]
    assert len(found) == 1, (task, subset)
    return found[0]


@pytest.mark.parametrize('preset', PRESETS)
@pytest.mark.parametrize('task', TASKS)
def test_specialist_trains_like_the_joint_model_on_one_list(preset, task):
    cfg, ref = specialist(preset, task), joint(preset)
    # Same optimizer, schedule, number of steps and evaluation points.
    for key in ('optim_wrapper', 'param_scheduler', 'default_hooks',
                'randomness', 'custom_hooks'):
        assert cfg[key] == ref[key], key
    assert cfg.train_cfg.max_iters == ref.train_cfg.max_iters
    assert cfg.train_cfg.val_interval == ref.train_cfg.val_interval
    assert cfg.train_cfg.type == 'ReIDIterBasedTrainLoop'
    # One P x K batch per step, the one the joint model gets of each list.
    loader, batches = cfg.train_dataloader, ref.train_dataloader.batch_sampler
    assert loader.sampler.type == 'PKSampler'
    assert (loader.sampler.num_pids,
            loader.sampler.num_instances) == (batches.num_pids,
                                              batches.num_instances)
    assert loader.batch_size == batches.num_pids * batches.num_instances
    # The task's training list alone, read as the joint model reads it.
    train = dict(loader.dataset)
    assert train == joint_set(ref, 'train_dataloader', task, 'train')
    # The task's test sets, as the joint model is tested on them.
    for split in ('test', 'val'):
        dataset = cfg[f'{split}_dataloader'].dataset
        sets = [dict(dataset.defaults, **d) for d in dataset.datasets]
        assert sets == [
            joint_set(ref, f'{split}_dataloader', task, subset)
            for subset in ('query', 'gallery')
        ]
        assert cfg[f'{split}_dataloader'].batch_sampler.type == \
            'PerDatasetBatchSampler'
        metric_type = 'T2IMetric' if task == 't2i' else 'ReIDMetric'
        assert cfg[f'{split}_evaluator'] == [
            dict(type=metric_type, tasks=[task])
        ]
    assert train['data_root'] == f'data/synth_omnireid_{preset}'


@pytest.mark.parametrize('preset', PRESETS)
@pytest.mark.parametrize('task', TASKS)
def test_specialist_model_is_the_joint_model_for_its_task(preset, task):
    model, ref = specialist(preset, task).model, joint(preset).model
    assert model.backbone == ref.backbone
    assert model.data_preprocessor == ref.data_preprocessor
    assert model.instruction_blind == (task in BLIND_TASKS)
    for part in ('loss_cls', 'loss_triplet'):
        assert model.head[part] == ref.head[part]
    key = f'synth_omnireid/{task}'
    if task == 't2i':
        assert model.head.num_classes is None  # no ID classifier
        assert model.t2i_head == ref.t2i_head
        assert model.text_encoder == ref.text_encoder
    else:
        assert model.head.num_classes == {key: ref.head.num_classes[key]}
        assert model.t2i_head is None
    if task in BLIND_TASKS:
        assert model.fusion is None
        assert model.image_instruction_encoder is None
    else:
        assert model.fusion == ref.fusion
        assert model.text_encoder == ref.text_encoder
        assert (model.image_instruction_encoder
                == ref.image_instruction_encoder
                if task in IMAGE_INSTRUCTION_TASKS else
                model.image_instruction_encoder is None)


@pytest.mark.parametrize('preset', PRESETS)
def test_albef_specialist_has_the_albef_joint_models_t2i_parts(preset):
    cfg, ref = specialist(preset, 't2i', albef=True), joint(preset, True)
    plain = specialist(preset, 't2i')
    assert cfg.model.t2i_head == ref.model.t2i_head
    assert cfg.model.t2i_head.type == 'ALBEFT2IHead'
    assert cfg.test_evaluator == plain.test_evaluator
    assert cfg.custom_hooks == ref.custom_hooks
    assert cfg.custom_hooks[-1].type == 'T2IReRankHook'
    for key in ('train_dataloader', 'test_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg'):
        assert cfg[key] == plain[key], key
    assert cfg.model.backbone == plain.model.backbone


@pytest.mark.parametrize('preset', PRESETS)
def test_albef_joint_is_the_all_tasks_twin_of_irm_albef(preset):
    cfg = joint(preset, albef=True)
    one_task = Config.fromfile(
        osp.join(IRM, f'irm-albef_vit-tiny_synth-omnireid-{preset}.py'))
    all_tasks = joint(preset)
    assert cfg.model == one_task.model
    for key in ('test_evaluator', 'val_evaluator', 'custom_hooks'):
        assert cfg[key] == one_task[key], key
    for key in ('train_dataloader', 'train_cfg', 'param_scheduler',
                'optim_wrapper'):
        assert cfg[key] == all_tasks[key], key


@pytest.mark.parametrize('preset,name', [('tiny', '9k'), ('small', '18k')])
def test_one_task_twin_sees_the_samples_of_the_all_tasks_run(preset, name):
    cfg = Config.fromfile(
        osp.join(IRM,
                 f'irm_vit-tiny_one-task-{name}_synth-omnireid-{preset}.py'))
    ref = joint(preset)
    num_lists = len(ref.train_dataloader.dataset.datasets)
    batches = ref.train_dataloader.batch_sampler
    assert num_lists == 6 and batches.shares == 1
    # One batch of one list per step, every list equally often, six times
    # the steps: the samples of the all-tasks run.
    sampler = cfg.train_dataloader.sampler
    assert sampler.type == 'MultiTaskPKSampler'
    assert sampler.ratios == [1] * num_lists
    assert (sampler.num_pids, sampler.num_instances) == (batches.num_pids,
                                                         batches.num_instances)
    assert cfg.train_dataloader.batch_size == \
        batches.num_pids * batches.num_instances
    assert cfg.train_cfg.type == 'ReIDIterBasedTrainLoop'
    assert cfg.train_cfg.max_iters == num_lists * ref.train_cfg.max_iters
    # The schedule stretched by the same factor.
    warmup, cosine = cfg.param_scheduler
    ref_warmup, ref_cosine = ref.param_scheduler
    assert warmup.end == cosine.begin == num_lists * ref_warmup.end
    assert cosine.end == num_lists * ref_cosine.end
    assert (warmup.start_factor, cosine.eta_min) == (ref_warmup.start_factor,
                                                     ref_cosine.eta_min)
    assert cfg.train_cfg.val_interval == \
        num_lists * ref.train_cfg.val_interval
    assert cfg.default_hooks.checkpoint.interval == \
        num_lists * ref.default_hooks.checkpoint.interval
    # Everything else as the all-tasks run.
    assert cfg.model == ref.model and cfg.optim_wrapper == ref.optim_wrapper
    assert cfg.train_dataloader.dataset == ref.train_dataloader.dataset
    assert cfg.test_dataloader == ref.test_dataloader
    assert cfg.test_evaluator == ref.test_evaluator


def test_specialist_models_build():
    from mmreid_instruct.registry import MODELS
    from mmreid_instruct.utils import register_all_modules
    register_all_modules()
    for task in TASKS:
        model = MODELS.build(specialist('tiny', task).model)
        assert (model.fusion is None) == (task in BLIND_TASKS)
        assert (model.image_instruction_encoder is not None) == (
            task in IMAGE_INSTRUCTION_TASKS)
        # trad and vi need no text at all.
        assert (model.text_encoder is None) == (task in ('trad', 'vi'))
        assert (model.t2i_head is None) == (task != 't2i')
        if task == 't2i':
            assert not model.head.for_training
        else:
            classifier = model.head.classifiers[
                model.head.module_names[f'synth_omnireid/{task}']]
            assert classifier['g'].out_features == 32
            assert ('u' in classifier) == (task not in BLIND_TASKS)
    model = MODELS.build(specialist('small', 't2i', albef=True).model)
    assert type(model.t2i_head).__name__ == 'ALBEFT2IHead'
    assert model.t2i_head.image_queue.shape[1] == 2048


def shrunk(cfg, data_root, work_dir):
    """A specialist config at test size: 1-layer ViTs, 4x2 batches, two
    steps, the first 8 queries and 48 gallery items."""
    cfg.work_dir = str(work_dir)
    model = cfg.model
    for vit in (model.backbone, (model.image_instruction_encoder
                                 or {}).get('backbone')):
        if vit:
            vit.arch.num_layers = 1
            vit.drop_path_rate = 0.
    if model.get('t2i_head') and model.t2i_head.type == 'ALBEFT2IHead':
        model.t2i_head.fusion_encoder.num_layers = 1
    loader = cfg.train_dataloader
    loader.dataset.data_root = data_root
    loader.sampler.update(num_pids=4, num_instances=2)
    loader.batch_size = 8
    test = cfg.test_dataloader
    test.dataset.defaults.data_root = data_root
    for dataset, size in zip(test.dataset.datasets, (8, 48)):
        dataset.indices = size
    test.batch_size = 64
    for loader in (cfg.train_dataloader, test):
        loader.num_workers = 0
        loader.persistent_workers = False
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 10**9
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=10**9)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.log_level = 'WARNING'
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('task,albef', [('trad', False), ('cc', False),
                                        ('li', False), ('t2i', False),
                                        ('t2i', True)])
def test_specialist_trains_and_tests(task, albef, synth_tiny_root, tmp_path):
    """Two steps and a test pass of each kind of specialist: blind, image
    instructions, text instructions, t2i alone with either head (the ALBEF
    one re-ranks by ITM at test)."""
    from mmreid_instruct.engine import ReIDRunner
    from mmreid_instruct.utils import register_all_modules
    register_all_modules()
    cfg = shrunk(specialist('tiny', task, albef), synth_tiny_root, tmp_path)
    runner = ReIDRunner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    logged = runner.message_hub.log_scalars
    loss = 'train/loss' if task == 't2i' else 'train/loss_cls_g'
    assert len(logged[loss].data[0]) == 2
    metrics = runner.test()
    assert sorted(metrics) == sorted(f'synth_omnireid/{task}/{m}'
                                     for m in ('R1', 'R5', 'R10', 'mAP',
                                               'mINP'))
    for value in metrics.values():
        assert np.isfinite(value) and 0 <= value <= 100


@pytest.mark.parametrize('preset', PRESETS)
def test_vi_grayscale_specialist_only_adds_the_channel_augmentation(preset):
    cfg = Config.fromfile(
        osp.join(
            IRM, 'specialists', 'irm-specialist-vi-grayscale_vit-tiny_'
            f'synth-omnireid-{preset}.py'))
    ref = specialist(preset, 'vi')
    pipeline = cfg.train_dataloader.dataset.pipeline
    ref_pipeline = ref.train_dataloader.dataset.pipeline
    grey = dict(type='RandomGrayscale', prob=0.5, keep_channels=True)
    assert pipeline[1] == grey
    assert [pipeline[0], *pipeline[2:]] == ref_pipeline
    cfg.train_dataloader.dataset.pipeline = ref_pipeline
    assert cfg.to_dict() == ref.to_dict()
    # The transform resolves in this package's registry and keeps 3 equal
    # channels.
    transform = TRANSFORMS.build(dict(grey, prob=1.0))
    img = np.random.default_rng(0).integers(0, 256, (8, 4, 3), np.uint8)
    out = transform(dict(img=img))['img']
    assert out.shape == (8, 4, 3)
    assert (out == out[..., :1]).all()


def test_vi_grayscale_joint_only_adds_the_channel_augmentation_to_vi():
    cfg = Config.fromfile(
        osp.join(
            IRM, 'irm_vit-tiny_all-tasks-vi-grayscale_'
            'synth-omnireid-small.py'))
    ref = joint('small')
    sets = cfg.train_dataloader.dataset.datasets
    ref_sets = ref.train_dataloader.dataset.datasets
    assert [d.task for d in sets] == list(TASKS)
    vi = TASKS.index('vi')
    for i, (got, want) in enumerate(zip(sets, ref_sets)):
        if i != vi:
            assert got == want, TASKS[i]
    pipeline, ref_pipeline = sets[vi].pipeline, ref_sets[vi].pipeline
    assert pipeline[1] == dict(
        type='RandomGrayscale', prob=0.5, keep_channels=True)
    assert [pipeline[0], *pipeline[2:]] == ref_pipeline
    # The same pipeline as the vi-grayscale specialist's.
    grey_specialist = Config.fromfile(
        osp.join(
            IRM, 'specialists', 'irm-specialist-vi-grayscale_vit-tiny_'
            'synth-omnireid-small.py'))
    assert pipeline == grey_specialist.train_dataloader.dataset.pipeline
    sets[vi].pipeline = ref_pipeline
    assert cfg.to_dict() == ref.to_dict()
