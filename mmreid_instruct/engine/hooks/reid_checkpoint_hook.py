import contextlib

from mmengine.hooks import CheckpointHook

from mmreid_instruct.registry import HOOKS


class _DeferredRemovals:
    """A file backend that records ``remove`` and ``rmtree`` calls instead
    of deleting; everything else goes to ``backend``."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self.pending: list = []

    def remove(self, path) -> None:
        self.pending.append(('remove', path))

    def rmtree(self, path) -> None:
        self.pending.append(('rmtree', path))

    def __getattr__(self, name):
        return getattr(self._backend, name)


@HOOKS.register_module()
class ReIDCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` that deletes old checkpoints only once
    the new one is in place.

    mmengine's hook deletes the checkpoint rotated out by ``max_keep_ckpts``
    (and the previous best checkpoint of ``save_best``) *before* saving the
    new one, so a run killed during the save can be left with no
    checkpoint. This hook defers the deletions until the new checkpoint and
    ``last_checkpoint`` are written. Arguments are those of
    ``CheckpointHook``; :class:`ReIDRunner` uses this hook wherever a
    config asks for ``CheckpointHook``.

    Example:
        >>> default_hooks = dict(checkpoint=dict(
        ...     type='ReIDCheckpointHook', interval=1000, max_keep_ckpts=1))
    """

    def _save_checkpoint_with_step(self, runner, step, meta):
        with self._removals_after_save():
            super()._save_checkpoint_with_step(runner, step, meta)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with self._removals_after_save():
            super()._save_best_checkpoint(runner, metrics)

    @contextlib.contextmanager
    def _removals_after_save(self):
        backend = self.file_backend
        if isinstance(backend, _DeferredRemovals):  # nested call
            yield
            return
        deferred = _DeferredRemovals(backend)
        self.file_backend = deferred
        try:
            yield
        finally:
            self.file_backend = backend
        kept = {self.last_ckpt, getattr(self, 'best_ckpt_path', None)}
        kept.update(getattr(self, 'best_ckpt_path_dict', {}).values())
        for action, path in deferred.pending:
            if path not in kept:
                getattr(backend, action)(path)
