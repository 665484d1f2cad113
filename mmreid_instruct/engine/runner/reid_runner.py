import datetime
import os.path as osp
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed, master_only
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from mmreid_instruct.registry import RUNNERS
from mmreid_instruct.utils.random_state import get_random_state
from .checkpoint import (atomic_replace, is_local_path, load_checkpoint_file,
                         register_checkpoint_safe_globals)


@RUNNERS.register_module()
class ReIDRunner(Runner):
    """mmengine's runner with safe, atomic and exactly resumable checkpoints.

    On top of :class:`mmengine.runner.Runner`:

    - checkpoints are written to a temporary file and renamed into place,
      so an interrupted save never leaves a truncated ``iter_N.pth``;
    - checkpoints carry the Python, NumPy and torch random states, and
      :class:`ReIDIterBasedTrainLoop` restores them on resume;
    - checkpoints load with ``torch.load(weights_only=True)`` and an
      allow-list of exactly the classes our checkpoints hold; a truncated
      or foreign file gives an error that names it;
    - distributed runs started by ``torchrun`` (``tools/dist_train.sh``)
      also work on machines without CUDA, with the gloo backend.

    Select it with ``runner_type = 'ReIDRunner'`` in the config (the base
    runtime config does). Arguments are those of mmengine's runner.
    """

    def __init__(self, *args, **kwargs):
        register_checkpoint_safe_globals()
        super().__init__(*args, **kwargs)
        self.resumed_random_state: Optional[dict] = None
        self._loaded_meta: dict = {}

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
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        *args,
                        meta: Optional[dict] = None,
                        **kwargs):
        """Save a checkpoint atomically, with the random states in its meta.

        Arguments are those of :meth:`mmengine.runner.Runner.save_checkpoint`.
        """
        meta = dict(meta or {})
        meta['random_state'] = get_random_state()
        final_path = osp.join(out_dir, filename)
        if not is_local_path(final_path):
            return super().save_checkpoint(
                out_dir, filename, *args, meta=meta, **kwargs)
        tmp_name = f'.{filename}.tmp'
        super().save_checkpoint(out_dir, tmp_name, *args, meta=meta, **kwargs)
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
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self._loaded_meta = checkpoint.get('meta', {})
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def resume(self, filename: str, *args, **kwargs) -> None:
        """Resume training and keep the saved random states for the loop.

        Arguments are those of :meth:`mmengine.runner.Runner.resume`.
        """
        super().resume(filename, *args, **kwargs)
        self.resumed_random_state = self._loaded_meta.get('random_state')
        if self.resumed_random_state is None:
            self.logger.warning(
                f'{filename} holds no random state: the resumed run will not '
                'be bit-identical to an uninterrupted one.')
