import datetime
import os.path as osp
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed, master_only
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmreid_instruct.registry import RUNNERS
from ..hooks.random_state_hook import warn_if_no_random_state_hook
from .checkpoint import (atomic_replace, is_local_path, load_checkpoint_file,
                         register_checkpoint_safe_globals)
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
    - resuming without :class:`RandomStateHook` gives a warning (the hook
      makes resuming exact; see ``docs/en/advanced_guides/exact_resume.md``);
    - distributed runs started by ``torchrun`` (``tools/dist_train.sh``)
      also work on machines without CUDA, with the gloo backend.

    Select it with ``runner_type = 'ReIDRunner'`` in the config (the base
    runtime config does). Arguments are those of mmengine's runner.

    Example:
        >>> runner_type = 'ReIDRunner'  # in a config
    """

    def __init__(self, *args, **kwargs):
        register_checkpoint_safe_globals()
        super().__init__(*args, **kwargs)

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
        the file is read by :func:`load_checkpoint_file`.

        Returns:
            dict: The checkpoint.
        """
        checkpoint = load_checkpoint_file(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        checkpoint = load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def resume(self, filename: str, *args, **kwargs) -> None:
        """Resume training; warn if it cannot be exact.

        Arguments are those of :meth:`mmengine.runner.Runner.resume`.
        """
        super().resume(filename, *args, **kwargs)
        # ReIDIterBasedTrainLoop does this check itself, for any runner.
        if not isinstance(self.train_loop, ReIDIterBasedTrainLoop):
            warn_if_no_random_state_hook(self)
