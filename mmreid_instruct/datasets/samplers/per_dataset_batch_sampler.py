import bisect
from typing import Iterator, List

from torch.utils.data import Sampler

from mmreid_instruct.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class PerDatasetBatchSampler(Sampler):
    """Batches that never span two sub-datasets of a concatenation.

    A test loader over several test sets (e.g. the query and gallery sets
    of the six Instruct-ReID tasks in one ``ReIDConcatDataset``) must give
    the model one task and one kind of sample (caption-only or image) per
    batch. A plain batch sampler cuts the index stream every
    ``batch_size`` indices, so a batch straddles two sets unless every set
    size is a multiple of the batch size. This batch sampler takes the
    indices of ``sampler`` in order and closes a batch when it is full *or*
    when the next index belongs to another sub-dataset, so a set's last
    batch may be shorter. With mmengine's ``DefaultSampler(shuffle=False)``
    each rank's indices are in dataset order, so this also holds under
    distributed testing (the sampler's padding, taken from the start of the
    dataset, forms its own batches).

    A dataset without ``cumulative_sizes`` (not a concatenation) is one
    group: plain fixed-size batching.

    Args:
        sampler (Sampler): The index sampler; its ``dataset`` attribute (a
            concatenation with ``cumulative_sizes``) tells the groups.
        batch_size (int): Most indices per batch.
        drop_last (bool): Must be False (a test set is evaluated whole).

    Example:
        >>> test_dataloader = dict(
        ...     batch_size=64,
        ...     sampler=dict(type='DefaultSampler', shuffle=False),
        ...     batch_sampler=dict(type='PerDatasetBatchSampler'),
        ...     dataset=dict(type='ReIDConcatDataset', datasets=[...]))
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_size: int,
                 drop_last: bool = False) -> None:
        if not isinstance(batch_size, int) or isinstance(
                batch_size, bool) or batch_size < 1:
            raise ValueError('PerDatasetBatchSampler: batch_size must be a '
                             f'positive integer, got {batch_size!r}')
        if drop_last:
            raise ValueError('PerDatasetBatchSampler is for evaluation: '
                             'drop_last=True would drop test samples')
        dataset = getattr(sampler, 'dataset', None)
        if dataset is None:
            raise TypeError(
                'PerDatasetBatchSampler needs a sampler with a `dataset` '
                f'attribute (e.g. DefaultSampler), got '
                f'{type(sampler).__name__}')
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = False
        self.cumulative_sizes = [
            int(c) for c in getattr(dataset, 'cumulative_sizes', [])
        ]

    def group_of(self, index: int) -> int:
        """The sub-dataset that holds global ``index``."""
        return bisect.bisect_right(self.cumulative_sizes, int(index))

    def __iter__(self) -> Iterator[List[int]]:
        batch, group = [], None
        for index in self.sampler:
            g = self.group_of(index)
            if batch and (g != group or len(batch) == self.batch_size):
                yield batch
                batch = []
            batch.append(index)
            group = g
        if batch:
            yield batch

    def __len__(self) -> int:
        return sum(1 for _ in self)
