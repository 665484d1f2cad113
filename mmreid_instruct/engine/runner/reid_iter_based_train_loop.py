from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator

from mmreid_instruct.registry import LOOPS
from mmreid_instruct.utils.random_state import (preserved_random_state,
                                                set_random_state)


@LOOPS.register_module()
class ReIDIterBasedTrainLoop(IterBasedTrainLoop):
    """Iteration-based training loop that resumes exactly.

    Compared with mmengine's ``IterBasedTrainLoop``:

    - on resume, a sampler with a ``skip(num_batches)`` method (e.g.
      :class:`PKSampler`) jumps to the next unseen batch instead of loading
      and discarding every batch already trained on;
    - the random states saved in the checkpoint by :class:`ReIDRunner` are
      restored after the dataloader is rebuilt, right before the first
      resumed iteration;
    - validation runs with the random states preserved, so evaluating in
      the middle of training does not change what training does next.

    Together these make a run resumed from iteration N/2 end with the same
    weights as an uninterrupted run (on CPU, bit for bit). Arguments are
    those of mmengine's ``IterBasedTrainLoop``.
    """

    def _skip_trained_batches(self) -> None:
        sampler = getattr(self.dataloader, 'sampler', None)
        if hasattr(sampler, 'skip'):
            sampler.skip(self._iter)
            # A new iterator so that workers start from the new position.
            self.dataloader_iterator = _InfiniteDataloaderIterator(
                self.dataloader)
            print_log(
                f'Resumed the sampler at batch {self._iter}.',
                logger='current')
        else:
            print_log(
                f'Advance the dataloader {self._iter} steps to skip data '
                'that has already been trained on.',
                logger='current')
            for _ in range(self._iter):
                next(self.dataloader_iterator)

    def run(self):
        """Launch training."""
        sampler = getattr(self.dataloader, 'sampler', None)
        if hasattr(sampler, 'batch_size') and \
                self.dataloader.batch_size != sampler.batch_size:
            raise ValueError(
                f'train_dataloader.batch_size={self.dataloader.batch_size} '
                f'must equal the batch size of {type(sampler).__name__} '
                f'({sampler.batch_size}).')
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self._iter > 0:
            self._skip_trained_batches()
        random_state = getattr(self.runner, 'resumed_random_state', None)
        if self._iter > 0 and random_state is not None:
            set_random_state(random_state)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                with preserved_random_state():
                    self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
