import bisect
import itertools
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest
import sampler_fakes

from mmreid_instruct.datasets.samplers import AllTasksPKSampler
from mmreid_instruct.datasets.samplers.pk_sampler import (group_indices_by_pid,
                                                          pk_batch_stream)
from mmreid_instruct.registry import DATA_SAMPLERS

SPEC = (('trad', 8), ('cc', 6), ('t2i', 7))


def make_concat(spec=SPEC, seed=0):
    return sampler_fakes.make_concat(spec, seed, 9)


def make_sampler(concat=None, seed=0, **kwargs):
    """An AllTasksPKSampler over ``concat`` as mmengine builds it (from a
    sampler that carries the dataset)."""
    concat = make_concat() if concat is None else concat
    kwargs.setdefault('num_pids', 3)
    kwargs.setdefault('num_instances', 2)
    kwargs.setdefault('seed_samples', False)
    return AllTasksPKSampler(
        SimpleNamespace(dataset=concat), seed=seed, **kwargs)


def on_rank(rank, world_size):
    return mock.patch(
        'mmreid_instruct.datasets.samplers.all_tasks_pk_sampler.'
        'get_dist_info',
        return_value=(rank, world_size))


def steps(sampler, num_steps):
    """The first ``num_steps`` steps: lists of this rank's batches."""
    stream = iter(sampler)
    per_step = len(sampler.step_plan)
    return [list(itertools.islice(stream, per_step)) for _ in range(num_steps)]


def split(concat, batch):
    """(sub-dataset, local indices) of a batch of global indices, checking
    that it holds one sub-dataset."""
    ks = {bisect.bisect_right(concat.cumulative_sizes, i) for i in batch}
    assert len(ks) == 1, f'batch mixes sub-datasets {ks}'
    k = ks.pop()
    offset = concat.cumulative_sizes[k] - len(concat.datasets[k])
    return k, np.asarray(batch) - offset


def list_stream(concat, k, p, kk, seed, num_batches):
    """The first batches of sub-dataset ``k``'s own P×K stream."""
    groups = group_indices_by_pid(concat.datasets[k].get_pids(), p)
    stream = pk_batch_stream(groups, p, kk, [seed, 1, k])
    return [list(b) for _, b in itertools.islice(stream, num_batches)]


def test_every_step_holds_its_share_of_batches_of_every_list():
    concat = make_concat()
    num_pids, num_instances = [3, 2, 4], [2, 3, 1]
    shares = dict(trad=1, cc=2, t2i=3)
    sampler = make_sampler(
        concat,
        seed=4,
        num_pids=num_pids,
        num_instances=num_instances,
        shares=shares)
    assert sampler.batches_per_step == [1, 2, 3]
    assert [k for k, _ in sampler.step_plan] == [0, 1, 1, 2, 2, 2]
    drawn = {k: [] for k in range(3)}
    for step in steps(sampler, 30):
        assert [split(concat, b)[0] for b in step] == [0, 1, 1, 2, 2, 2]
        for batch in step:
            k, local = split(concat, batch)
            pids = concat.datasets[k].pids[local]
            p, kk = num_pids[k], num_instances[k]
            ids, counts = np.unique(pids, return_counts=True)
            assert len(ids) == p and (counts == kk).all()
            assert all(
                len(set(pids[j:j + kk])) == 1 for j in range(0, p * kk, kk))
            drawn[k].append(list(local))
    # Each list's batches, step after step, are its own P×K stream.
    for k in range(3):
        assert drawn[k] == list_stream(concat, k, num_pids[k],
                                       num_instances[k], 4, len(drawn[k]))


def test_weights_make_a_weighted_mean_over_the_step():
    sampler = make_sampler(
        shares=dict(trad=1, cc=1, t2i=6), loss_weights=[2., 1., 1.])
    weights = [w for _, w in sampler.step_plan]
    # weight_l / sum over the step's batches of their list's weight.
    assert weights == pytest.approx([2 / 9, 1 / 9] + [1 / 9] * 6)
    assert sum(weights) == pytest.approx(1)


def test_skip_equals_drawing_the_steps():
    sampler = make_sampler(shares=[1, 2, 1])
    drawn = steps(sampler, 12)
    resumed = make_sampler(shares=[1, 2, 1])
    resumed.skip(7)
    assert steps(resumed, 5) == drawn[7:]


def test_seeded_pairs_and_registry_build():
    concat = make_concat()
    sampler = DATA_SAMPLERS.build(
        dict(
            type='AllTasksPKSampler',
            sampler=SimpleNamespace(dataset=concat, seed=11),
            batch_size=6,
            num_pids=3,
            num_instances=2))
    assert sampler.seed == 11  # from the sampler when not given
    plain = make_sampler(concat, seed=11)
    pairs = steps(sampler, 3)
    assert [[i for i, _ in b] for s in pairs for b in s] == \
        [b for s in steps(plain, 3) for b in s]
    seeds = [seed for s in pairs for b in s for _, seed in b]
    assert len(set(seeds)) == len(seeds)
    other = AllTasksPKSampler(
        SimpleNamespace(dataset=concat), num_pids=3, num_instances=2, seed=12)
    assert steps(other, 3) != pairs


@pytest.mark.parametrize('world_size', [2, 3])
def test_split_across_ranks_deals_out_the_single_process_step(world_size):
    kwargs = dict(shares=[1, 2, 2], loss_weights=[3, 1, 1])
    single = make_sampler(**kwargs)
    expected = steps(single, 5)
    per_rank = []
    for rank in range(world_size):
        with on_rank(rank, world_size):
            sampler = make_sampler(**kwargs)
        per_rank.append((sampler, steps(sampler, 5)))
    for s in range(5):
        # Round-robin: position p of the step goes to rank p % world_size.
        dealt = [None] * len(expected[s])
        for rank, (sampler, drawn) in enumerate(per_rank):
            positions = range(rank, len(dealt), world_size)
            for p, batch in zip(positions, drawn[s], strict=True):
                dealt[p] = batch
        assert dealt == expected[s]
    weights = [w for sampler, _ in per_rank for _, w in sampler.step_plan]
    assert sorted(weights) == sorted(w for _, w in single.step_plan)


def test_every_rank_all_tasks_equals_a_single_process_with_more_shares():
    shares = [1, 2, 1]
    more = make_sampler(shares=[2 * s for s in shares])
    expected = steps(more, 4)
    drawn = []
    for rank in range(2):
        with on_rank(rank, 2):
            sampler = make_sampler(shares=shares, split_across_ranks=False)
        assert [k for k, _ in sampler.step_plan] == [0, 1, 1, 2]
        assert sum(w for _, w in sampler.step_plan) == pytest.approx(0.5)
        drawn.append(steps(sampler, 4))
    for s in range(4):
        # Rank r takes the r-th share of each list's batches.
        rank0, rank1 = drawn[0][s], drawn[1][s]
        assert expected[s] == [
            rank0[0], rank1[0], rank0[1], rank0[2], rank1[1], rank1[2],
            rank0[3], rank1[3]
        ]


def test_len_counts_this_ranks_batches_of_a_nominal_epoch():
    sampler = make_sampler(shares=[1, 1, 2])
    assert len(sampler) > 0 and len(sampler) % 4 == 0


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(shares=[1, 0, 1]), ValueError, r'shares of sub-dataset 1 \(cc\)'),
    (dict(shares=1.5), ValueError, 'whole number > 0'),
    (dict(loss_weights=dict(trad=1, cc=1)), ValueError,
     r'loss_weights miss sub-datasets \[2\]'),
    (dict(loss_weights=[1, -1, 1]), ValueError, 'finite number > 0'),
    (dict(num_pids=[3, 3]), ValueError, '2 num_pids for 3 sub-datasets'),
    (dict(num_pids=dict(vi=3, trad=3, cc=3)), ValueError,
     "no sub-dataset has task 'vi'"),
    (dict(batch_size=5), ValueError, 'batch_size=5 is not the P x K'),
    (dict(num_pids=50), ValueError, 'fewer than num_pids=50'),
])
def test_bad_arguments_are_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_sampler(**kwargs)


def test_more_ranks_than_batches_and_samplers_without_dataset_are_errors():
    with on_rank(0, 4), pytest.raises(ValueError, match='at most 3 processes'):
        make_sampler()
    with pytest.raises(TypeError, match='sampler with a `dataset`'):
        AllTasksPKSampler(object())
    with pytest.raises(TypeError, match='needs a concatenation'):
        AllTasksPKSampler(SimpleNamespace(dataset=[1, 2]))
