import logging
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmreid_instruct.registry import HOOKS
from mmreid_instruct.utils.random_state import (get_random_state,
                                                set_random_state)


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Carry the global random states through checkpoints and validation.

    - Every checkpoint gets ``meta['random_state']``, the Python, NumPy and
      torch (and CUDA) states of :func:`get_random_state` at save time.
    - When training resumes from such a checkpoint, the states are restored
      right before the first resumed iteration runs, that is after the loop
      has moved the dataloader to the first batch not trained on yet. A
      resumed checkpoint without them gives a warning.
    - Each validation runs between a save and a restore of the states, so
      evaluating during training does not change what training does next.

    Together with a loop that resumes the data at the right batch, a resumed
    iteration-based run ends as an uninterrupted one would; see
    ``docs/en/advanced_guides/exact_resume.md``.

    Example:
        >>> custom_hooks = [dict(type='RandomStateHook')]
    """

    # Restore before any other hook runs in the first resumed iteration,
    # and save before any other hook runs in ``before_val``.
    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._loaded_meta: dict = {}
        self._state_to_restore: Optional[dict] = None
        self._state_before_val: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['random_state'] = get_random_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Loading happens for both ``load_from`` and ``resume``; which one
        # it was is known only once the loop's iteration is set.
        self._loaded_meta = checkpoint.get('meta', {})

    def before_train(self, runner) -> None:
        meta, self._loaded_meta = self._loaded_meta, {}
        resumed = runner.iter > 0 and meta.get('iter') == runner.iter
        if not resumed:
            return
        self._state_to_restore = meta.get('random_state')
        if self._state_to_restore is None:
            print_log(
                f'The checkpoint resumed at iteration {runner.iter} has no '
                "meta['random_state'] (it was saved without RandomStateHook):"
                ' the resumed run will not be bit-identical to an '
                'uninterrupted one.',
                logger='current',
                level=logging.WARNING)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        if self._state_to_restore is not None:
            set_random_state(self._state_to_restore)
            self._state_to_restore = None

    def before_val(self, runner) -> None:
        self._state_before_val = get_random_state()

    def after_val(self, runner) -> None:
        if self._state_before_val is not None:
            set_random_state(self._state_before_val)
            self._state_before_val = None


def warn_if_no_random_state_hook(runner) -> bool:
    """Warn that resuming cannot be exact if ``runner`` has no
    :class:`RandomStateHook`.

    Args:
        runner (Runner): The runner about to resume training.

    Returns:
        bool: True if one of ``runner.hooks`` is a :class:`RandomStateHook`.

    Example:
        >>> from types import SimpleNamespace
        >>> runner = SimpleNamespace(hooks=[RandomStateHook()])
        >>> warn_if_no_random_state_hook(runner)  # no warning
        True
    """
    if any(isinstance(hook, RandomStateHook) for hook in runner.hooks):
        return True
    print_log(
        'Resuming without RandomStateHook: the random states are neither '
        'saved nor restored, so the resumed run will not be bit-identical to '
        "an uninterrupted one. Add dict(type='RandomStateHook') to "
        'custom_hooks (configs/_base_/default_runtime.py has it; a config '
        'that sets custom_hooks replaces that list).',
        logger='current',
        level=logging.WARNING)
    return False
