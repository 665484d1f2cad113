import pytest
import torch
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

from mmreid_instruct.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from mmreid_instruct.utils import register_all_modules

register_all_modules()


def test_registries_are_children_of_mmengine_and_mmpretrain():
    assert MODELS.parent is MMPRETRAIN_MODELS
    assert MMPRETRAIN_MODELS.parent is MMENGINE_MODELS
    assert DATASETS.parent is MMENGINE_DATASETS
    assert MODELS.scope == 'mmreid_instruct'


def test_own_modules_are_registered():
    for name in ('ImageReID', 'ReIDHead', 'BNNeck', 'TripletLoss',
                 'LabelSmoothCrossEntropyLoss', 'ReIDDataPreprocessor'):
        assert MODELS.get(name) is not None, name
    assert DATASETS.get('SynthOmniReID') is not None
    assert DATASETS.get('OmniReIDList') is not None
    assert TRANSFORMS.get('PackReIDInputs') is not None
    assert METRICS.get('ReIDMetric') is not None


@pytest.mark.parametrize('type_name',
                         ['mmpretrain.VisionTransformer', 'VisionTransformer'])
def test_mmpretrain_backbone_builds_through_our_registry(type_name):
    vit = MODELS.build(
        dict(
            type=type_name,
            arch=dict(
                embed_dims=32,
                num_layers=1,
                num_heads=2,
                feedforward_channels=64),
            img_size=(32, 16),
            patch_size=8,
            out_type='cls_token'))
    out = vit(torch.randn(2, 3, 32, 16))
    assert out[-1].shape == (2, 32)


def test_mmcv_and_mmpretrain_transforms_reachable():
    assert TRANSFORMS.get('Resize') is not None  # mmcv
    assert TRANSFORMS.get('RandomErasing') is not None  # mmpretrain
    assert TRANSFORMS.get('LoadReIDImage') is not None
