from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop

from mmreid_instruct.registry import LOOPS
from ..hooks.random_state_hook import warn_if_no_random_state_hook
from .skipped_batches_iterator import SkippedBatchesIterator, skipping_sampler


@LOOPS.register_module()
class ReIDIterBasedTrainLoop(IterBasedTrainLoop):
    """mmengine's ``IterBasedTrainLoop`` that resumes without reloading data.

    On resume at iteration N, mmengine's loop loads and discards the N
    batches already trained on. When the sampler has a ``skip(num_batches)``
    method (:class:`PKSampler`, :class:`MultiTaskPKSampler`, or the batch
    sampler :class:`AllTasksPKSampler`), this loop has the sampler start at
    batch N instead and loads nothing; the batches that follow are the
    same. The random states are restored by
    :class:`RandomStateHook` (resuming without it gives a warning). See
    ``docs/en/advanced_guides/exact_resume.md``.

    The dataloader's ``batch_size`` must equal the sampler's ``batch_size``
    when the sampler has one (P × K).

    Args:
        runner (Runner): A reference of runner.
        dataloader (DataLoader | dict): The training dataloader or its
            config.
        max_iters (int): Total training iterations.
        val_begin (int): The iteration that begins validating. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1000.
        dynamic_intervals (list[tuple[int, int]], optional): Milestones and
            the validation intervals used after them. Defaults to None.

    Example:
        >>> train_cfg = dict(type='ReIDIterBasedTrainLoop', max_iters=1500,
        ...                  val_interval=500)
    """

    #: Whether an iteration takes the group of batches of a step (the batch
    #: sampler's ``step_plan``), as :class:`AllTasksTrainLoop` does.
    trains_step_groups = False

    def __init__(self, runner, dataloader, *args, **kwargs) -> None:
        super().__init__(runner, dataloader, *args, **kwargs)
        if hasattr(self.dataloader.batch_sampler, 'step_plan') and \
                not self.trains_step_groups:
            raise TypeError(
                f'{type(self.dataloader.batch_sampler).__name__} gives a '
                'group of batches per optimizer step; train it with '
                "train_cfg=dict(type='AllTasksTrainLoop').")
        sampler = self.dataloader.sampler
        if hasattr(sampler, 'batch_size') and \
                self.dataloader.batch_size != sampler.batch_size:
            raise ValueError(
                f'train_dataloader.batch_size={self.dataloader.batch_size} '
                f'must equal the batch size of {type(sampler).__name__} '
                f'({sampler.batch_size}).')

    def run(self):
        """Launch training; on resume, the sampler skips the trained
        batches."""
        if self._iter > 0:
            warn_if_no_random_state_hook(self.runner)
            if skipping_sampler(self.dataloader) is not None:
                print_log(
                    f'The sampler skips the {self._iter} batches already '
                    'trained on; advancing the dataloader loads no data.',
                    logger='current')
                self.dataloader_iterator = SkippedBatchesIterator(
                    self.dataloader, self._iter)
        return super().run()
