import pytest
import torch.nn as nn

from mmreid_instruct.models.data_preprocessors import ReIDDataPreprocessor
from mmreid_instruct.models.utils import build_data_preprocessor


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
