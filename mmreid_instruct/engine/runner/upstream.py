"""The one place where this library uses private names of mmengine.

mmengine has no public function that loads an already read checkpoint into a
model. ``tests/test_engine/test_runner/test_upstream.py`` checks that the
names below still exist and behave as relied on, so an mmengine upgrade that
changes them fails there, loudly, instead of somewhere inside resuming.
"""
from mmengine.runner.checkpoint import \
    _load_checkpoint_to_model as _mmengine_load_checkpoint_to_model


def load_checkpoint_to_model(model,
                             checkpoint: dict,
                             strict: bool = False,
                             revise_keys: list = [(r'^module\.', '')]) -> dict:
    """Load the weights of a checkpoint that is already read into a model.

    Args:
        model (nn.Module): The model (not a model wrapper).
        checkpoint (dict): A checkpoint, with its weights under
            ``state_dict`` or at the top level.
        strict (bool): Whether every key must match. Defaults to False.
        revise_keys (list[tuple[str, str]]): ``(pattern, replacement)``
            regular expressions applied to the weight names first. Defaults
            to removing a ``module.`` prefix.

    Returns:
        dict: ``checkpoint``.

    Example:
        >>> import torch
        >>> model = torch.nn.Linear(1, 1)
        >>> weights = {'module.weight': torch.ones(1, 1),
        ...            'module.bias': torch.zeros(1)}
        >>> _ = load_checkpoint_to_model(model, {'state_dict': weights})
        >>> model.weight.item()
        1.0
    """
    return _mmengine_load_checkpoint_to_model(
        model, checkpoint, strict, revise_keys=revise_keys)
