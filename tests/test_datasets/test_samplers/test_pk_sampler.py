from unittest import mock

import numpy as np
import pytest
from sampler_fakes import (FakeSubDataset, check_seeded_stream, random_pids,
                           take_batches)

from mmreid_instruct.datasets.samplers import PKSampler


def make_dataset(seed=0, num_ids=10):
    """Identities with 1 to 9 images, so some have fewer than K."""
    return FakeSubDataset(random_pids(np.random.default_rng(seed), num_ids, 9))


def test_every_batch_has_p_ids_times_k_images():
    dataset = make_dataset()
    sampler = PKSampler(
        dataset, num_pids=4, num_instances=3, seed=0, seed_samples=False)
    for batch in take_batches(sampler, 50):  # crosses several epochs
        pids = dataset.pids[batch]
        ids, counts = np.unique(pids, return_counts=True)
        assert len(ids) == 4
        assert (counts == 3).all()
        # Consecutive groups of K belong to one identity.
        assert all(len(set(pids[i:i + 3])) == 1 for i in range(0, 12, 3))


def test_epoch_visits_every_image_except_the_leftover_groups():
    dataset = make_dataset(num_ids=6)
    p, k = 2, 2
    sampler = PKSampler(
        dataset, num_pids=p, num_instances=k, seed=1, seed_samples=False)
    batches = sampler._epoch_batches(0)
    counts = np.bincount(dataset.pids)
    total_groups = int(np.sum(-(-counts // k)))
    leftover_groups = total_groups - p * len(batches)
    assert 0 <= leftover_groups
    # Fewer than P identities can have groups left at the end of an epoch.
    assert leftover_groups < p * counts.max()
    missing = set(range(len(dataset))) - set(np.concatenate(batches))
    assert len(missing) <= leftover_groups * k


def test_seeded_stream_of_index_and_sample_seed_pairs():
    dataset = make_dataset()
    check_seeded_stream(lambda seed: PKSampler(dataset, 4, 2, seed=seed), 20,
                        len(dataset))


def test_skip_continues_the_same_stream():
    dataset = make_dataset()
    full = take_batches(PKSampler(dataset, 4, 2, seed=0), 30)
    resumed = PKSampler(dataset, 4, 2, seed=0)
    resumed.skip(17)
    assert take_batches(resumed, 13) == full[17:]


def test_ranks_split_the_global_stream():
    dataset = make_dataset()
    single = take_batches(PKSampler(dataset, 4, 2, seed=0), 10)
    per_rank = []
    for rank in range(2):
        with mock.patch(
                'mmreid_instruct.datasets.samplers.pk_sampler.get_dist_info',
                return_value=(rank, 2)):
            per_rank.append(take_batches(PKSampler(dataset, 4, 2, seed=0), 5))
    assert per_rank[0] == single[0::2]
    assert per_rank[1] == single[1::2]


def test_too_few_identities_is_a_clear_error():
    with pytest.raises(ValueError, match='fewer than num_pids=8'):
        PKSampler(FakeSubDataset([0, 0, 1, 1]), num_pids=8, num_instances=2)
