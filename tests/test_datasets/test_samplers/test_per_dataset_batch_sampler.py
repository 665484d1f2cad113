import pytest
from mmengine.dataset import DefaultSampler
from torch.utils.data import ConcatDataset

from mmreid_instruct.datasets.samplers import PerDatasetBatchSampler
from mmreid_instruct.registry import DATA_SAMPLERS


def concat(*sizes):
    return ConcatDataset([list(range(n)) for n in sizes])


def test_batches_never_span_two_sets():
    data = concat(5, 3, 8)
    sampler = DATA_SAMPLERS.build(
        dict(type='PerDatasetBatchSampler', batch_size=4),
        default_args=dict(sampler=DefaultSampler(data, shuffle=False)))
    batches = list(sampler)
    assert batches == [[0, 1, 2, 3], [4], [5, 6, 7], [8, 9, 10, 11],
                       [12, 13, 14, 15]]
    assert len(sampler) == 5


def test_distributed_order_and_padding(monkeypatch):
    # Rank 1 of 2 over sets of sizes 3 and 4: indices 1, 3, 5, 0 (padded).
    import mmengine.dataset.sampler as mm_sampler
    monkeypatch.setattr(mm_sampler, 'get_dist_info', lambda: (1, 2))
    data = concat(3, 4)
    sampler = PerDatasetBatchSampler(DefaultSampler(data, shuffle=False), 8)
    assert list(sampler) == [[1], [3, 5], [0]]


def test_plain_dataset_and_bad_args():
    sampler = PerDatasetBatchSampler(
        DefaultSampler(list(range(5)), shuffle=False), 2)
    assert list(sampler) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match='drop_last'):
        PerDatasetBatchSampler(
            DefaultSampler([0], shuffle=False), 2, drop_last=True)
    with pytest.raises(ValueError, match='batch_size'):
        PerDatasetBatchSampler(DefaultSampler([0], shuffle=False), 0)
    with pytest.raises(TypeError, match='dataset'):
        PerDatasetBatchSampler(range(3), 2)
