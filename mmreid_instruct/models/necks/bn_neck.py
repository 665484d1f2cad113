import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmreid_instruct.registry import MODELS
from ..utils import fp32_forward


@MODELS.register_module()
class BNNeck(BaseModule):
    """Batch-norm neck: a BatchNorm1d whose bias is frozen at zero.

    The classifier reads the normalised feature while the metric loss reads
    the feature before it, which eases the conflict between the two losses.
    It runs in float32 under mixed precision (the running statistics keep
    full precision; the output is float32).

    Args:
        in_channels (int): Feature dimension.
        init_cfg (dict, optional): Initialisation config.

    Example:
        >>> neck = BNNeck(192)
        >>> neck(torch.randn(4, 192)).shape
        torch.Size([4, 192])
    """

    def __init__(self, in_channels: int, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.bn = nn.BatchNorm1d(in_channels)
        self.bn.bias.requires_grad_(False)
        nn.init.ones_(self.bn.weight)
        nn.init.zeros_(self.bn.bias)

    @fp32_forward
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise (N, C) features."""
        return self.bn(x)
