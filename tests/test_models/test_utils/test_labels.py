import pytest
import torch

from mmreid_instruct.models.utils import pid_labels
from mmreid_instruct.structures import ReIDDataSample


def test_pid_labels_values_and_range_check():
    samples = [ReIDDataSample().set_pid(p) for p in (4, 0, 2)]
    labels = pid_labels(samples, 5, torch.device('cpu'), 'ReIDHead')
    assert labels.dtype == torch.long and labels.tolist() == [4, 0, 2]
    with pytest.raises(
            ValueError, match=r"'x/y' has num_classes=4 .*\[0, 4\]"):
        pid_labels(samples, 4, torch.device('cpu'), "'x/y'")


def test_pid_labels_rejects_negative_labels_and_accepts_an_empty_batch():
    with pytest.raises(ValueError, match=r'\[-1, 1\]'):
        pid_labels([ReIDDataSample().set_pid(p) for p in (-1, 1)], 3, 'cpu',
                   'ReIDHead')
    assert pid_labels([], 3, 'cpu', 'ReIDHead').shape == (0, )
