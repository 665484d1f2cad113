import datetime
import glob
import os
import os.path as osp
import re
import zipfile
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed, is_main_process, master_only
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmreid_instruct.registry import RUNNERS
from ..hooks.random_state_hook import warn_if_no_random_state_hook
from ..hooks.reid_checkpoint_hook import ReIDCheckpointHook
from .checkpoint import (CheckpointMismatchError, atomic_replace,
                         is_local_path, load_checkpoint_file,
                         register_checkpoint_safe_globals,
                         weights_only_loading)
from .pretrained_check import check_required_pretrained
from .reid_iter_based_train_loop import ReIDIterBasedTrainLoop
from .upstream import load_checkpoint_to_model


@RUNNERS.register_module()
class ReIDRunner(Runner):
    """mmengine's runner with safe and atomic checkpoints, also on CPUs.

    On top of :class:`mmengine.runner.Runner`:

    - checkpoints are written to a temporary file and renamed into place,
      so an interrupted save never leaves a truncated ``iter_N.pth``;
    - checkpoints load with ``torch.load(weights_only=True)`` and an
      allow-list of exactly the classes our checkpoints hold
      (:func:`load_checkpoint_file`); a truncated or foreign file gives an
      error that names it;
    - a ``CheckpointHook`` of the config is a :class:`ReIDCheckpointHook`,
      which deletes rotated-out checkpoints only after the new one is saved;
    - ``resume=True`` without ``load_from`` resumes from the newest
      loadable checkpoint of the work dir (also when ``last_checkpoint``
      points at a missing or truncated file), or says that there is none
      and starts from scratch; partial ``.tmp`` files of a killed save are
      deleted first;
    - a resumed checkpoint must match the model (an error names the
      mismatching weights); ``strict_load=True`` in the config makes
      ``load_from`` strict too (``tools/test.py`` sets it);
    - resuming without :class:`RandomStateHook` gives a warning (the hook
      makes resuming exact; see ``docs/en/advanced_guides/exact_resume.md``);
    - distributed runs started by ``torchrun`` (``tools/dist_train.sh``)
      also work on machines without CUDA, with the gloo backend.
    - training stops before its first iteration when pretrained weights
      listed in the config's ``required_pretrained`` are missing, unless
      ``allow_random_init=True`` (``pretrained_check.py``).

    Select it with ``runner_type = 'ReIDRunner'`` in the config (the base
    runtime config does). Arguments are those of mmengine's runner.

    Example:
        >>> runner_type = 'ReIDRunner'  # in a config
    """

    def __init__(self, *args, **kwargs):
        register_checkpoint_safe_globals()
        super().__init__(*args, **kwargs)
        # Whether ``load_from`` must match the model exactly (tools/test.py
        # sets it unless --allow-partial-load is given).
        self._strict_load = bool(self.cfg.get('strict_load', False))
        self._resuming = False

    def train(self):
        """Train; every checkpoint read meanwhile, the pretrained weights of
        ``init_cfg`` included, is loaded with ``weights_only=True``
        (:func:`weights_only_loading`). First, the ``required_pretrained``
        files of the config must exist unless ``allow_random_init=True``
        (:func:`check_required_pretrained`). See mmengine's
        ``Runner.train``."""
        model = self.model.module if is_model_wrapper(
            self.model) else self.model

        def from_checkpoint():
            return self._load_from is not None or (
                self._resume and self.find_resumable_checkpoint() is not None)

        check_required_pretrained(self.cfg, model, from_checkpoint,
                                  self.logger)
        with weights_only_loading():
            return super().train()

    def val(self) -> dict:
        """Validate, loading checkpoints as :meth:`train` does."""
        with weights_only_loading():
            return super().val()

    def test(self) -> dict:
        """Test, loading checkpoints as :meth:`train` does."""
        with weights_only_loading():
            return super().test()

    def setup_env(self, env_cfg: dict) -> None:
        """Set up the environment; see mmengine's ``Runner.setup_env``.

        mmengine's ``pytorch`` launcher always binds a CUDA device. On a
        machine without CUDA the process group is created here instead, with
        the gloo backend, so that ``tools/dist_train.sh`` also runs on CPUs.
        """
        if (self.distributed and not is_distributed()
                and self.launcher == 'pytorch'
                and not torch.cuda.is_available()):
            timeout = env_cfg.get('dist_cfg', {}).get('timeout', 1800)
            torch_dist.init_process_group(
                backend='gloo', timeout=datetime.timedelta(seconds=timeout))
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[dict], model):
        """Wrap the model for distributed training; see mmengine's
        ``Runner.wrap_model``. Without CUDA, DDP gets no device ids."""
        if (self.distributed and model_wrapper_cfg is None
                and not torch.cuda.is_available()):
            model_wrapper_cfg = dict(
                type='MMDistributedDataParallel',
                device_ids=None,
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters',
                                                    False))
        return super().wrap_model(model_wrapper_cfg, model)

    def register_default_hooks(self, hooks: Optional[dict] = None) -> None:
        """Register the default hooks; see mmengine's
        ``Runner.register_default_hooks``. A ``CheckpointHook`` (also
        mmengine's default one) becomes a :class:`ReIDCheckpointHook`."""
        hooks = dict(hooks or {})
        checkpoint = hooks.get('checkpoint', dict(interval=1))
        if isinstance(checkpoint, dict) and checkpoint.get(
                'type',
                'CheckpointHook') in ('CheckpointHook', CheckpointHook):
            hooks['checkpoint'] = dict(checkpoint, type=ReIDCheckpointHook)
        super().register_default_hooks(hooks)

    def load_or_resume(self) -> None:
        """Load or resume the checkpoint of the config.

        With ``resume=True`` and no ``load_from``, resume from
        :meth:`find_resumable_checkpoint`; with none, log that training
        starts from scratch. Partial ``.tmp`` files of a killed save are
        deleted first. Otherwise as mmengine's ``Runner.load_or_resume``.
        """
        if self._has_loaded:
            return None
        if not (self._resume and self._load_from is None):
            return super().load_or_resume()
        self._remove_partial_saves()
        resume_from = self.find_resumable_checkpoint()
        if resume_from is None:
            self.logger.warning(
                f'resume=True (--resume) but there is no checkpoint in '
                f'{self.work_dir}: starting from scratch.')
            return None
        self.logger.info(f'Resuming from {resume_from}.')
        self.resume(resume_from)
        self._has_loaded = True

    def find_resumable_checkpoint(self) -> Optional[str]:
        """The checkpoint to resume from: the one ``last_checkpoint`` of
        the work dir names, else the newest complete ``iter_*.pth`` or
        ``epoch_*.pth`` beside it or in the work dir.

        A missing or truncated file is skipped with a warning.

        Returns:
            str | None: The path, or None when there is no checkpoint.
        """
        named = None
        save_file = osp.join(self.work_dir, 'last_checkpoint')
        if osp.isfile(save_file):
            with open(save_file) as f:
                named = f.read().strip() or None
        folders = [self.work_dir]
        if named is not None and is_local_path(named):
            folders.insert(0, osp.dirname(named))
        candidates = [] if named is None else [named]
        for folder in folders:
            candidates += sorted(
                glob.glob(osp.join(folder, 'iter_*.pth')) +
                glob.glob(osp.join(folder, 'epoch_*.pth')),
                key=_checkpoint_step,
                reverse=True)
        for path in candidates:
            if not is_local_path(path) or _is_complete_checkpoint(path):
                if path != named and named is not None:
                    self.logger.warning(
                        f'{save_file} names {named}, which is missing or '
                        f'truncated; resuming from {path} instead.')
                return path
            self.logger.warning(f'Skipping {path}: missing or truncated.')
        return None

    def _remove_partial_saves(self) -> None:
        """Delete the ``.<name>.tmp`` files a killed save left."""
        if not is_main_process():
            return
        folders = {self.work_dir}
        for hook in self.hooks:
            out_dir = getattr(hook, 'out_dir', None)
            if isinstance(hook, CheckpointHook) and isinstance(out_dir, str):
                folders.add(out_dir)
        for folder in folders:
            for path in glob.glob(osp.join(folder, '.*.pth.tmp')):
                os.remove(path)
                self.logger.warning(
                    f'Removed {path}, left by a save that did not finish.')

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, *args, **kwargs):
        """Save a checkpoint atomically.

        Arguments are those of :meth:`mmengine.runner.Runner.save_checkpoint`.
        """
        final_path = osp.join(out_dir, filename)
        if not is_local_path(final_path):
            return super().save_checkpoint(out_dir, filename, *args, **kwargs)
        tmp_name = f'.{filename}.tmp'
        super().save_checkpoint(out_dir, tmp_name, *args, **kwargs)
        atomic_replace(osp.join(out_dir, tmp_name), final_path)

    def load_checkpoint(self,
                        filename: str,
                        map_location='cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]) -> dict:
        """Load a checkpoint safely into the model.

        Arguments are those of :meth:`mmengine.runner.Runner.load_checkpoint`;
        the file is read by :func:`load_checkpoint_file`. ``strict`` is
        True when resuming, and when the config sets ``strict_load=True``
        (``tools/test.py`` does, unless given ``--allow-partial-load``).
        A partial load logs at WARNING which weights were not loaded.

        Returns:
            dict: The checkpoint.

        Raises:
            CheckpointMismatchError: ``strict`` and the weights of the
                checkpoint do not match those of the model; the message
                names the mismatching keys.
        """
        checkpoint = load_checkpoint_file(filename, map_location=map_location)
        strict = strict or self._strict_load or self._resuming
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        try:
            # With strict=True mmengine loads every matching weight, then
            # raises an error listing the others.
            checkpoint = load_checkpoint_to_model(
                model, checkpoint, True, revise_keys=revise_keys)
        except RuntimeError as error:
            if not str(error).startswith(_MISMATCH):
                raise
            if strict:
                raise self._mismatch_error(filename, error) from None
            self.logger.warning(
                f'Checkpoint {filename} was loaded only partially into '
                f'{type(model).__name__}; these weights were not loaded:\n'
                f'{_mismatch_details(error)}')
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _mismatch_error(self, filename: str,
                        error: Exception) -> CheckpointMismatchError:
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        if self._resuming:
            advice = ('Resuming needs a checkpoint saved by this config; '
                      'start from scratch or use another --work-dir.')
        else:
            advice = ('If loading only the matching weights is intended, '
                      'pass --allow-partial-load to tools/test.py (or set '
                      'strict_load=False in the config).')
        return CheckpointMismatchError(
            f'Checkpoint {filename} does not match the model '
            f'({type(model).__name__}):\n{_mismatch_details(error)}\n'
            f'{advice}')

    def resume(self, filename: str, *args, **kwargs) -> None:
        """Resume training; warn if it cannot be exact.

        Arguments are those of :meth:`mmengine.runner.Runner.resume`.
        """
        self._resuming = True
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False
        # ReIDIterBasedTrainLoop does this check itself, for any runner.
        if not isinstance(self.train_loop, ReIDIterBasedTrainLoop):
            warn_if_no_random_state_hook(self)


#: How mmengine's ``load_state_dict`` begins the error of a strict load.
_MISMATCH = 'The model and loaded state dict do not match exactly'


def _mismatch_details(error: Exception) -> str:
    """The mismatching keys that mmengine's error lists, one per line."""
    lines = str(error)[len(_MISMATCH):].splitlines()
    return '\n'.join(f'  {line.strip()}' for line in lines if line.strip())


def _checkpoint_step(path: str) -> int:
    """The number in ``iter_<N>.pth`` or ``epoch_<N>.pth``."""
    match = re.search(r'_(\d+)\.pth$', path)
    return int(match.group(1)) if match else -1


def _is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole zip-format checkpoint (a truncated one
    lacks the zip directory at its end)."""
    try:
        with zipfile.ZipFile(path):
            return True
    except (OSError, zipfile.BadZipFile):
        return False
