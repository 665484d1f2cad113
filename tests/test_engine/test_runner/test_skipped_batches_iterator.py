import itertools

import pytest
from torch.utils.data import DataLoader

from mmreid_instruct.engine.runner import SkippedBatchesIterator


class CountingSampler:
    """0, 1, 2, ... from the skipped position; records the skip calls."""

    def __init__(self, length=None):
        self.length = length
        self.start = 0
        self.skips = []

    def skip(self, num_batches):
        self.skips.append(num_batches)
        self.start = num_batches

    def __iter__(self):
        stop = None if self.length is None else self.length
        return itertools.islice(itertools.count(), self.start, stop)


def test_advance_loads_nothing_then_yields_from_the_skipped_batch():
    sampler = CountingSampler()
    iterator = SkippedBatchesIterator(
        DataLoader(range(100), sampler=sampler), 3)
    assert sampler.skips == []  # nothing happens before the first call
    assert [next(iterator) for _ in range(3)] == [None, None, None]
    assert sampler.skips == [3]
    assert [next(iterator).item() for _ in range(2)] == [3, 4]
    assert sampler.skips == [3]


def test_a_sampler_that_runs_out_is_an_error():
    sampler = CountingSampler(length=4)
    iterator = SkippedBatchesIterator(
        DataLoader(range(100), sampler=sampler), 2)
    assert [next(iterator) for _ in range(2)] == [None, None]
    assert [next(iterator).item() for _ in range(2)] == [2, 3]
    with pytest.raises(RuntimeError, match='CountingSampler ran out'):
        next(iterator)
