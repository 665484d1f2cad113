from typing import Optional, Union

import torch.nn as nn

from mmreid_instruct.registry import MODELS


def build_data_preprocessor(
        data_preprocessor: Optional[Union[dict, nn.Module]]) -> nn.Module:
    """The data preprocessor of a ReID model: ``ReIDDataPreprocessor`` by
    default, built from this package's registry.

    mmengine's ``BaseModel`` would build a config from mmengine's root
    registry, which does not know this package's modules unless the default
    scope is set; building it here works in every context.

    Args:
        data_preprocessor (dict | nn.Module | None): A config, a built
            module (returned as is), or None for
            ``dict(type='ReIDDataPreprocessor')``.

    Returns:
        nn.Module: The data preprocessor.

    Example:
        >>> build_data_preprocessor(None).__class__.__name__
        'ReIDDataPreprocessor'
    """
    if data_preprocessor is None:
        data_preprocessor = dict(type='ReIDDataPreprocessor')
    if isinstance(data_preprocessor, dict):
        data_preprocessor = MODELS.build(data_preprocessor)
    return data_preprocessor


def build_optional_neck(neck: Optional[dict],
                        in_channels: int) -> Optional[nn.Module]:
    """Build an optional neck of a head for inputs of ``in_channels``.

    Args:
        neck (dict | None): The neck's config without ``in_channels``, or
            None for no neck.
        in_channels (int): The width of the features the neck reads.

    Returns:
        nn.Module | None: The neck, or None when ``neck`` is None.

    Example:
        >>> build_optional_neck(dict(type='BNNeck'), 8).__class__.__name__
        'BNNeck'
        >>> build_optional_neck(None, 8) is None
        True
    """
    if neck is None:
        return None
    return MODELS.build(dict(neck, in_channels=in_channels))
