"""User modules registered in their own code are usable from a config."""
import os.path as osp
import sys
import textwrap

import torch
from mmengine.config import Config

from mmreid_instruct.registry import MODELS
from mmreid_instruct.structures import ReIDDataSample
from mmreid_instruct.utils import register_all_modules

BASELINE = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'baseline',
    'baseline_vit-tiny_synth-omnireid-tiny.py')


def test_custom_loss_from_custom_imports(tmp_path, monkeypatch):
    package = tmp_path / 'my_project'
    package.mkdir()
    (package / '__init__.py').write_text('')
    (package / 'my_loss.py').write_text(
        textwrap.dedent('''
        import torch.nn as nn
        from mmreid_instruct.registry import MODELS

        @MODELS.register_module()
        class ConstantTestLoss(nn.Module):
            def forward(self, features, labels):
                return features.sum() * 0 + 7.0
        '''))
    config = tmp_path / 'my_config.py'
    config.write_text(
        textwrap.dedent(f'''
        _base_ = {BASELINE!r}
        custom_imports = dict(imports=['my_project.my_loss'],
                              allow_failed_imports=False)
        model = dict(head=dict(loss_triplet=dict(
            _delete_=True, type='ConstantTestLoss')))
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    register_all_modules()
    cfg = Config.fromfile(str(config))  # imports my_project.my_loss
    assert 'my_project.my_loss' in sys.modules
    cfg.model.backbone.arch.num_layers = 1
    model = MODELS.build(cfg.model)
    samples = [ReIDDataSample().set_pid(i // 2) for i in range(4)]
    losses = model(torch.randn(4, 3, 128, 64), samples, mode='loss')
    assert losses['loss_triplet'].item() == 7.0
