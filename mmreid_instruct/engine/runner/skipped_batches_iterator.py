from typing import Iterator, Optional


class SkippedBatchesIterator:
    """The dataloader iterator of a loop resumed at batch ``num_skipped``.

    mmengine's ``IterBasedTrainLoop.run`` advances its iterator
    ``num_skipped`` times before the first resumed iteration. Here those
    calls return None without loading anything; the first of them tells the
    sampler to ``skip(num_skipped)`` (after the ``before_train_epoch`` hooks,
    like mmengine's own advance) and starts a new iterator of the dataloader,
    which then yields the batches from ``num_skipped`` on.

    A batch sampler with ``skip`` (:class:`AllTasksPKSampler`) is told to
    skip instead of the sampler; its unit is its own (steps).

    Args:
        dataloader (DataLoader): A dataloader whose batch sampler or sampler
            has ``skip(num_batches)`` and never runs out.
        num_skipped (int): Batches already trained on.

    Example:
        >>> from torch.utils.data import DataLoader
        >>> class Stream(list):
        ...     def skip(self, n):
        ...         self[:] = self[n:]
        >>> loader = DataLoader(range(10), sampler=Stream(range(10)))
        >>> iterator = SkippedBatchesIterator(loader, 3)
        >>> [next(iterator) for _ in range(3)]
        [None, None, None]
        >>> next(iterator)
        tensor([3])
    """

    def __init__(self, dataloader, num_skipped: int) -> None:
        self._dataloader = dataloader
        self._num_skipped = num_skipped
        self._advanced = 0
        self._iterator: Optional[Iterator] = None

    def __iter__(self):
        return self

    def __next__(self):
        if self._iterator is None:
            skipping_sampler(self._dataloader).skip(self._num_skipped)
            self._iterator = iter(self._dataloader)
        if self._advanced < self._num_skipped:
            self._advanced += 1
            return None
        try:
            return next(self._iterator)
        except StopIteration:
            raise RuntimeError(
                f'{type(skipping_sampler(self._dataloader)).__name__} ran '
                'out of batches: a sampler with skip() must be infinite.'
            ) from None


def skipping_sampler(dataloader):
    """The sampler of ``dataloader`` that can skip batches: its batch
    sampler if that has ``skip``, else its sampler (None if neither has).

    Args:
        dataloader (DataLoader): A dataloader.

    Returns:
        Sampler | None: The sampler with ``skip``.

    Example:
        >>> from torch.utils.data import DataLoader
        >>> skipping_sampler(DataLoader(range(4))) is None
        True
    """
    batch_sampler = getattr(dataloader, 'batch_sampler', None)
    if hasattr(batch_sampler, 'skip'):
        return batch_sampler
    sampler = getattr(dataloader, 'sampler', None)
    return sampler if hasattr(sampler, 'skip') else None
