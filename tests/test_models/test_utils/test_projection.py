import torch
import torch.nn as nn

from mmreid_instruct.models.utils import width_projection


def test_identity_when_the_widths_agree():
    proj = width_projection(8, 8)
    assert isinstance(proj, nn.Identity)
    x = torch.randn(2, 3, 8)
    assert proj(x) is x


def test_linear_from_in_to_out_dims():
    proj = width_projection(8, 4)
    assert isinstance(proj, nn.Linear)
    assert (proj.in_features, proj.out_features) == (8, 4)
    assert proj.bias is not None
    x = torch.randn(2, 3, 8)
    assert torch.allclose(proj(x), x @ proj.weight.t() + proj.bias)
