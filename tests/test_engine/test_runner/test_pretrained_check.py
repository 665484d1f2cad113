"""Training refuses to start from random weights when the config's
``required_pretrained`` files are missing, unless ``allow_random_init``."""
import logging
import os
import os.path as osp

import pytest
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModule

from mmreid_instruct.engine.runner.pretrained_check import (
    MissingPretrainedError, check_required_pretrained)

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
PAPER = osp.join(REPO, 'configs', 'irm', 'irm_vit-b_omnireid.py')
TINY = osp.join(REPO, 'configs', 'irm', 'irm_vit-tiny_synth-omnireid-tiny.py')


def paper_required(root):
    """The paper config's required files, placed under ``root``."""
    required = Config.fromfile(PAPER).required_pretrained
    return [dict(e, path=osp.join(root, e['path'])) for e in required]


def test_paper_config_message_names_files_sources_and_commands(tmp_path):
    cfg = Config.fromfile(PAPER)
    assert cfg.allow_random_init is False
    cfg.required_pretrained = paper_required(str(tmp_path))
    with pytest.raises(MissingPretrainedError) as error:
        check_required_pretrained(cfg, nn.Linear(1, 1), lambda: False,
                                  logging.getLogger())
    message = str(error.value)
    for text in ('irm_vit-b_omnireid.py', 'pass_vit_base_full_mmreid.pth',
                 'albef_mmreid.pth', 'pass_vit_base_full.pth',
                 'github.com/hwz-zju/Instruct-ReID',
                 'sfr-pcl-data-research/ALBEF/ALBEF.pth',
                 'python tools/model_converters/pass_to_mmreid.py',
                 'python tools/model_converters/albef_to_mmreid.py',
                 '--cfg-options allow_random_init=True'):
        assert text in message, text
    # Only the missing file is named.
    present = cfg.required_pretrained[0]['path']
    os.makedirs(osp.dirname(present))
    open(present, 'w').close()
    with pytest.raises(MissingPretrainedError) as error:
        check_required_pretrained(cfg, nn.Linear(1, 1), lambda: False,
                                  logging.getLogger())
    assert present not in str(error.value)


def test_random_init_allowed_or_weights_from_a_checkpoint(tmp_path, caplog):
    missing = str(tmp_path / 'x.pth')
    model = nn.Sequential(
        BaseModule(
            init_cfg=dict(type='Pretrained', checkpoint=missing, prefix='a.')),
        BaseModule(init_cfg=[
            dict(type='Constant', layer='Linear', val=1.),
            dict(type='Pretrained', checkpoint=missing)
        ]),
        BaseModule(init_cfg=dict(type='Pretrained', checkpoint='other.pth')))
    cfg = Config(dict(required_pretrained=[dict(path=missing)]))
    with pytest.raises(MissingPretrainedError):
        check_required_pretrained(cfg, model, lambda: False,
                                  logging.getLogger())
    cfg.allow_random_init = True
    with caplog.at_level(logging.WARNING):
        check_required_pretrained(cfg, model, lambda: False,
                                  logging.getLogger())
    assert model[0].init_cfg is None
    assert model[1].init_cfg == [dict(type='Constant', layer='Linear', val=1.)]
    assert model[2].init_cfg['checkpoint'] == 'other.pth'
    assert 'start(s) from random weights' in caplog.text
    # load_from / resume: no error without allow_random_init either.
    cfg.allow_random_init = False
    check_required_pretrained(cfg, model, lambda: True, logging.getLogger())


def tiny_cfg(data_root, work_dir, pass_checkpoint, required):
    cfg = Config.fromfile(TINY)
    cfg.work_dir = str(work_dir)
    cfg.model.backbone.arch.num_layers = 1
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', checkpoint=pass_checkpoint, prefix='backbone.')
    cfg.model.image_instruction_encoder.backbone.arch.num_layers = 1
    cfg.model.text_encoder.num_layers = 1
    cfg.train_dataloader.sampler.update(num_pids=2, num_instances=2)
    cfg.train_dataloader.batch_size = 4
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    for dataset in cfg.train_dataloader.dataset.datasets:
        dataset.data_root = data_root
    cfg.train_cfg.max_iters = 1
    cfg.train_cfg.val_interval = 10**9
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=10**9)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.log_level = 'WARNING'
    cfg.required_pretrained = required
    return cfg


@pytest.mark.slow
def test_runner_refuses_before_training_then_trains_when_allowed(
        synth_tiny_root, tmp_path):
    from mmreid_instruct.utils import register_all_modules
    from mmreid_instruct.utils.runner_cli import build_runner
    register_all_modules()
    required = paper_required(str(tmp_path))
    cfg = tiny_cfg(synth_tiny_root, tmp_path / 'a', required[0]['path'],
                   required)
    runner = build_runner(cfg)
    with pytest.raises(MissingPretrainedError, match='pass_to_mmreid.py'):
        runner.train()
    assert runner.iter == 0
    runner.cfg.allow_random_init = True
    runner.train()  # the backbone's Pretrained init is dropped
    assert runner.iter == 1
    assert runner.model.backbone.init_cfg is None
