import os.path as osp

import pytest

CONFIG_ROOT = osp.join(osp.dirname(osp.dirname(__file__)), 'configs')
BASELINE_CONFIG = osp.join(CONFIG_ROOT, 'baseline',
                           'baseline_vit-tiny_synth-omnireid-tiny.py')


@pytest.fixture(scope='session')
def synth_tiny_root(tmp_path_factory):
    """SynthOmniReID `tiny`, generated once per test session."""
    from mmreid_instruct.datasets.synth import generate_synth_omnireid
    root = str(tmp_path_factory.mktemp('synth') / 'synth_omnireid_tiny')
    generate_synth_omnireid(root, preset='tiny', seed=0)
    return root


@pytest.fixture(scope='session')
def small_baseline_cfg():
    """A function building the baseline config shrunk for tests."""
    return build_small_baseline_cfg


def build_small_baseline_cfg(data_root, work_dir, max_iters=4, num_workers=0,
                             checkpoint_interval=2):
    """The baseline config shrunk for tests: a 2-layer ViT, no validation,
    checkpoints every ``checkpoint_interval`` iterations."""
    from mmengine.config import Config
    cfg = Config.fromfile(BASELINE_CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.model.backbone.arch.num_layers = 2
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = 10**9
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=checkpoint_interval)
    cfg.default_hooks.logger.interval = 1
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = num_workers
        cfg[loader].persistent_workers = num_workers > 0
    cfg.train_dataloader.dataset.data_root = data_root
    for dataset in cfg.test_dataloader.dataset.datasets:
        dataset.data_root = data_root
    cfg.val_dataloader = cfg.test_dataloader
    cfg.val_cfg = None
    cfg.val_dataloader = None
    cfg.val_evaluator = None
    cfg.log_level = 'WARNING'
    return cfg
