import logging
import math

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmreid_instruct.registry import HOOKS


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training, or skip the step, when the loss is NaN or infinite.

    Before the optimizer wrapper's ``update_params`` runs the backward pass
    and the step, the loss is checked. If it is not finite:

    - ``action='stop'`` raises :class:`FloatingPointError` naming the
      iteration and the loss terms that are not finite; no step is taken
      and no checkpoint is saved, so the last checkpoint is the last good
      state and rotation (``max_keep_ckpts``) deletes none of the good ones;
    - ``action='skip'`` logs the same at WARNING and skips the step (no
      backward, no optimizer step); training goes on.

    Whatever the action, a checkpoint whose weights are not finite is never
    saved: saving one raises :class:`FloatingPointError`.

    The hook reads values only; it uses no random numbers, so training with
    finite losses is bit-identical with and without it.

    Args:
        action (str): ``'stop'`` or ``'skip'``. Defaults to ``'stop'``.

    Example:
        >>> custom_hooks = [dict(type='NonFiniteLossHook', action='skip')]
    """

    priority = 'VERY_HIGH'

    def __init__(self, action: str = 'stop') -> None:
        if action not in ('stop', 'skip'):
            raise ValueError(f"NonFiniteLossHook: action={action!r}, "
                             "expected 'stop' or 'skip'.")
        self.action = action
        self.num_skipped = 0
        self._log_vars: dict = {}

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        if getattr(model, '_non_finite_loss_hook', None) is self:
            return
        parse_losses = model.parse_losses
        update_params = runner.optim_wrapper.update_params

        def checked_parse_losses(*args, **kwargs):
            loss, log_vars = parse_losses(*args, **kwargs)
            self._log_vars = log_vars
            return loss, log_vars

        def checked_update_params(loss, *args, **kwargs):
            if torch.is_tensor(loss) and not bool(torch.isfinite(loss).all()):
                return self._non_finite(runner, loss)
            return update_params(loss, *args, **kwargs)

        model.parse_losses = checked_parse_losses
        model._non_finite_loss_hook = self
        runner.optim_wrapper.update_params = checked_update_params

    def _non_finite(self, runner, loss: torch.Tensor) -> None:
        terms = {
            name: value
            for name, value in self._log_vars.items()
            if name != 'loss' and 'loss' in name and not _is_finite(value)
        }
        named = ', '.join(f'{name}={_as_float(value)}'
                          for name, value in terms.items()) or \
            'no single term (only their sum)'
        message = (f'Iteration {runner.iter + 1}: the loss is '
                   f'{float(loss.detach().float().sum())}; non-finite loss '
                   f'terms: {named}.')
        if self.action == 'stop':
            raise FloatingPointError(
                f'{message} Training stopped before the optimizer step; the '
                'last checkpoint holds the last finite weights. To skip such '
                "steps instead, use dict(type='NonFiniteLossHook', "
                "action='skip') in custom_hooks.")
        self.num_skipped += 1
        print_log(
            f'{message} The step is skipped ({self.num_skipped} skipped '
            'so far).',
            logger='current',
            level=logging.WARNING)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = [
            name for name, value in checkpoint.get('state_dict', {}).items()
            if torch.is_tensor(value) and value.is_floating_point()
            and not bool(torch.isfinite(value).all())
        ]
        if bad:
            raise FloatingPointError(
                f'Iteration {runner.iter}: not saving a checkpoint whose '
                f'weights are not finite ({", ".join(bad[:10])}'
                f'{", ..." if len(bad) > 10 else ""}); the previous '
                'checkpoints are kept.')


def _is_finite(value) -> bool:
    if torch.is_tensor(value):
        return bool(torch.isfinite(value).all())
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def _as_float(value) -> float:
    if torch.is_tensor(value):
        return float(value.detach().float().sum())
    return float(value)
