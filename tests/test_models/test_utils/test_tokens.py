import pytest
import torch

from mmreid_instruct.models.utils import backbone_tokens


def test_backbone_tokens_takes_the_last_stage_and_names_the_owner():
    last = torch.randn(2, 5, 8)
    assert backbone_tokens((torch.randn(2, 5, 8), last), 'X') is last
    assert backbone_tokens([last], 'X') is last
    assert backbone_tokens(last, 'X') is last
    with pytest.raises(ValueError, match="InstructReID.*out_type='raw'"):
        backbone_tokens((torch.randn(2, 8), ), 'InstructReID')
