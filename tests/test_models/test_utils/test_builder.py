import pytest
import torch.nn as nn

from mmreid_instruct.models.data_preprocessors import ReIDDataPreprocessor
from mmreid_instruct.models.necks import BNNeck
from mmreid_instruct.models.utils import (build_data_preprocessor,
                                          build_optional_neck)


def test_default_is_the_reid_data_preprocessor():
    pre = build_data_preprocessor(None)
    assert type(pre) is ReIDDataPreprocessor
    assert pre.mean.flatten().tolist() == pytest.approx(
        [123.675, 116.28, 103.53])


def test_a_config_is_built_and_a_module_kept():
    pre = build_data_preprocessor(
        dict(type='ReIDDataPreprocessor', mean=(0, 0, 0), std=(1, 1, 1)))
    assert type(pre) is ReIDDataPreprocessor
    assert pre.mean.flatten().tolist() == [0, 0, 0]
    module = nn.Identity()
    assert build_data_preprocessor(module) is module


def test_optional_neck_gets_the_width_or_is_none():
    neck = build_optional_neck(dict(type='BNNeck'), 12)
    assert type(neck) is BNNeck
    assert neck.bn.num_features == 12
    assert build_optional_neck(None, 12) is None
    config = dict(type='BNNeck')
    build_optional_neck(config, 12)
    assert config == dict(type='BNNeck')  # the caller's config is kept
