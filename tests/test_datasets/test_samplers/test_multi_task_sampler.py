import bisect
import itertools
import os.path as osp
from unittest import mock

import multi_task_dist_worker as worker
import numpy as np
import pytest
import sampler_fakes
import torch.distributed as dist
from mmengine.dataset import ConcatDataset
from sampler_fakes import FakeSubDataset, check_seeded_stream, take_batches

from mmreid_instruct.datasets.base_reid_dataset import (BaseReIDDataset,
                                                        make_record)
from mmreid_instruct.datasets.reid_concat_dataset import ReIDConcatDataset
from mmreid_instruct.datasets.samplers import MultiTaskPKSampler, PKSampler
from mmreid_instruct.registry import DATA_SAMPLERS

WORKER = osp.join(
    osp.dirname(osp.abspath(__file__)), 'multi_task_dist_worker.py')


def make_concat(spec=(('trad', 8), ('cc', 6), ('vi', 5)), seed=0):
    """Sub-datasets of the given tasks and identity counts, with 1 to 9
    images per identity (some fewer than K) and shuffled indices."""
    return sampler_fakes.make_concat(spec, seed, 9)


def dataset_of(concat, global_index):
    return bisect.bisect_right(concat.cumulative_sizes, global_index)


def local_pids(concat, batch):
    """(sub-dataset, pids) of a batch of plain global indices, checking that
    it holds a single sub-dataset."""
    ks = {dataset_of(concat, i) for i in batch}
    assert len(ks) == 1, f'batch mixes sub-datasets {ks}'
    k = ks.pop()
    offset = concat.cumulative_sizes[k] - len(concat.datasets[k])
    return k, concat.datasets[k].pids[np.asarray(batch) - offset]


def on_rank(rank, world_size):
    return mock.patch(
        'mmreid_instruct.datasets.samplers.multi_task_sampler.get_dist_info',
        return_value=(rank, world_size))


def test_every_batch_is_p_ids_times_k_images_of_one_sub_dataset():
    concat = make_concat()
    p, k = 3, 2
    sampler = MultiTaskPKSampler(concat, p, k, seed=0, seed_samples=False)
    assert sampler.batch_size == p * k
    num_batches = 300  # several epochs of every sub-dataset
    drawn = sampler.iteration_datasets(0, num_batches)
    for i, batch in enumerate(take_batches(sampler, num_batches)):
        sub, pids = local_pids(concat, batch)
        assert sub == drawn[i]
        ids, counts = np.unique(pids, return_counts=True)
        assert len(ids) == p and (counts == k).all()
        # Consecutive groups of K belong to one identity.
        assert all(len(set(pids[j:j + k])) == 1 for j in range(0, p * k, k))


def test_sub_dataset_streams_follow_the_pk_sampler_rules():
    """Each sub-dataset's batches, in order, are an epoch-structured P×K
    stream: within an epoch no group repeats and every identity's images
    are all visited before the epoch ends (except leftover groups)."""
    from mmreid_instruct.datasets.samplers.pk_sampler import (
        group_indices_by_pid, pk_batch_stream)
    concat = make_concat()
    sampler = MultiTaskPKSampler(concat, 3, 2, seed=5, seed_samples=False)
    batches = take_batches(sampler, 120)
    for k, sub in enumerate(concat.datasets):
        offset = concat.cumulative_sizes[k] - len(sub)
        mine = [
            list(np.asarray(b) - offset) for b in batches
            if dataset_of(concat, b[0]) == k
        ]
        expected = pk_batch_stream(
            group_indices_by_pid(sub.pids, 3), 3, 2, [5, 1, k])
        assert mine == [
            list(b) for _, b in itertools.islice(expected, len(mine))
        ]


@pytest.mark.parametrize('ratios, expected', [
    (None, 'sizes'),
    ([3, 1, 0], [0.75, 0.25, 0.0]),
    (dict(sc=1, cc=1, cross=2), [0.25, 0.25, 0.5]),
    ({
        0: 1,
        1: 2,
        'vi': 1
    }, [0.25, 0.5, 0.25]),
])
def test_task_frequencies_follow_the_ratios(ratios, expected):
    concat = make_concat()
    if expected == 'sizes':
        sizes = np.array([len(d) for d in concat.datasets], dtype=float)
        expected = sizes / sizes.sum()
    expected = np.asarray(expected)
    sampler = MultiTaskPKSampler(
        concat, 3, 2, ratios=ratios, seed=0, seed_samples=False)
    np.testing.assert_allclose(sampler.probs, expected)
    # What the stream really yields, batch by batch.
    num_batches = 3000
    drawn = np.array(
        [local_pids(concat, b)[0] for b in take_batches(sampler, num_batches)])
    np.testing.assert_array_equal(drawn,
                                  sampler.iteration_datasets(0, num_batches))
    freq = np.bincount(drawn, minlength=3) / num_batches
    # 6 binomial standard deviations: a miss has probability < 1e-8 for any
    # seed, so the fixed-seed check is not luck.
    tol = 6 * np.sqrt(expected * (1 - expected) / num_batches)
    assert (np.abs(freq - expected) <= tol).all(), (freq, expected)
    assert (freq[expected == 0] == 0).all()
    # A longer schedule, from the task draws alone.
    many = sampler.iteration_datasets(0, 50000)
    freq = np.bincount(many, minlength=3) / len(many)
    tol = 6 * np.sqrt(expected * (1 - expected) / len(many))
    assert (np.abs(freq - expected) <= tol).all(), (freq, expected)


def test_seeded_stream_of_global_index_and_sample_seed_pairs():
    concat = make_concat()
    batches = check_seeded_stream(
        lambda seed: MultiTaskPKSampler(concat, 3, 2, seed=seed), 40,
        len(concat))
    for batch in batches:
        local_pids(concat, [i for i, _ in batch])  # one sub-dataset


@pytest.mark.parametrize('block', [7, MultiTaskPKSampler.BLOCK])
@pytest.mark.parametrize('world_size', [1, 2])
def test_skip_continues_the_same_stream(monkeypatch, block, world_size):
    # A short block makes the resume points cross block boundaries.
    monkeypatch.setattr(MultiTaskPKSampler, 'BLOCK', block)
    concat = make_concat()
    for rank in range(world_size):
        with on_rank(rank, world_size):
            full = take_batches(MultiTaskPKSampler(concat, 3, 2, seed=0), 60)
            for start in (1, 7, 23, 59):
                resumed = MultiTaskPKSampler(concat, 3, 2, seed=0)
                resumed.skip(start)
                assert take_batches(resumed, 60 - start) == full[start:]


def test_ranks_draw_the_same_sub_dataset_and_split_its_stream():
    """Documented rule: every rank draws the same sub-dataset at each
    iteration; rank r of W takes batch c*W + r of that sub-dataset's stream
    when the iteration is its c-th. Hence, per sub-dataset, the W-rank
    batches interleaved by rank are the 1-process stream, sample seeds
    included, and the task sequence does not depend on W."""
    concat = make_concat()
    num_iters = 50
    single = MultiTaskPKSampler(concat, 3, 2, seed=0)
    single_batches = take_batches(single, 2 * num_iters)
    per_rank = []
    for rank in range(2):
        with on_rank(rank, 2):
            sampler = MultiTaskPKSampler(concat, 3, 2, seed=0)
            assert (sampler.rank, sampler.world_size) == (rank, 2)
            np.testing.assert_array_equal(
                sampler.iteration_datasets(0, num_iters),
                single.iteration_datasets(0, num_iters))
            per_rank.append(take_batches(sampler, num_iters))
    drawn = single.iteration_datasets(0, 2 * num_iters)
    for i in range(num_iters):
        subs = {
            dataset_of(concat, idx)
            for b in (per_rank[0][i], per_rank[1][i])
            for idx, _ in b
        }
        assert subs == {drawn[i]}
        assert per_rank[0][i] != per_rank[1][i]
    for k in range(len(concat.datasets)):
        interleaved = [
            b for i in range(num_iters) if drawn[i] == k
            for b in (per_rank[0][i], per_rank[1][i])
        ]
        one_process = [
            b for i, b in enumerate(single_batches) if drawn[i] == k
        ]
        n = min(len(interleaved), len(one_process))
        assert n > 5
        assert interleaved[:n] == one_process[:n]


def test_len_and_registry_build():
    concat = make_concat()
    sampler = DATA_SAMPLERS.build(
        dict(
            type='MultiTaskPKSampler',
            num_pids=3,
            num_instances=2,
            ratios=[1, 1, 1]),
        default_args=dict(dataset=concat, seed=0))
    assert isinstance(sampler, MultiTaskPKSampler)
    assert len(sampler) > 0 and len(sampler) % sampler.batch_size == 0
    with on_rank(1, 2):
        two = MultiTaskPKSampler(concat, 3, 2, ratios=[1, 1, 1], seed=0)
    assert len(two) == (len(sampler) // 6 // 2) * 6


# Real BaseReIDDataset subclasses in mmengine's ConcatDataset.


class ToyReID(BaseReIDDataset):
    """A tiny training set; its task is only known from its records."""

    METAINFO = dict(dataset_name='toy')

    def __init__(self, toy_task, images_per_pid, **kwargs):
        self._toy_task = toy_task
        self._images_per_pid = images_per_pid
        super().__init__(subset='train', **kwargs)

    def load_data_list(self):
        return [
            make_record(
                img_path=f'{self._toy_task}/{pid}_{i}.jpg',
                pid=100 + 3 * pid,
                camid=i % 2,
                task=self._toy_task,
                subset='train',
                dataset_name='toy')
            for pid, n in enumerate(self._images_per_pid) for i in range(n)
        ]


def toy_parts():
    return [
        ToyReID('sc', [3, 1, 5, 2, 4]),
        ToyReID('attr', [2, 2, 6, 1]),
        ToyReID('t2i', [4, 4, 4])
    ]


def test_real_datasets_in_mmengine_concat_dataset():
    concat = ConcatDataset(toy_parts())
    sampler = MultiTaskPKSampler(
        concat,
        3,
        2,
        seed=1,
        ratios=dict(trad=1, li=2, t2i=1),
        seed_samples=False)
    assert sampler.tasks == ['trad', 'li', 't2i']
    np.testing.assert_allclose(sampler.probs, [0.25, 0.5, 0.25])
    for batch in take_batches(sampler, 30):
        records = [concat[i] for i in batch]
        assert len({r['task'] for r in records}) == 1
        pids = [r['pid'] for r in records]
        assert len(set(pids)) == 3
        assert all(pids[j] == pids[j + 1] for j in range(0, 6, 2))


def test_seeded_samples_need_a_concatenation_that_forwards_them():
    with pytest.raises(TypeError, match='does not accept'):
        MultiTaskPKSampler(ConcatDataset(toy_parts()), 3, 2, seed=0)
    concat = ReIDConcatDataset(toy_parts())
    sampler = MultiTaskPKSampler(concat, 3, 2, seed=0)
    batch = take_batches(sampler, 1)[0]
    assert [concat[pair]['img_path'] for pair in batch] == \
        [concat[i]['img_path'] for i, _ in batch]


# Errors.


@pytest.mark.parametrize('ratios, error, match', [
    (dict(foo=1, cc=1, vi=1), ValueError, 'Unknown task'),
    (dict(trad=1, cc=1, t2i=1), ValueError, "no sub-dataset has task 't2i'"),
    ([1, -1, 1], ValueError, 'sub-dataset 1 .cc. must be a finite number'),
    ([1, float('nan'), 1], ValueError, 'finite number'),
    ([0, 0, 0], ValueError, 'all ratios are zero'),
    ([1, 1], ValueError, '2 ratios for 3 sub-datasets'),
    (dict(trad=1, cc=1), ValueError, r'miss sub-datasets \[2\]'),
    (dict(sc=1, trad=1, cc=1, vi=1), ValueError, 'twice'),
    ({
        0: 1,
        1: 1,
        3: 1
    }, ValueError, 'not a sub-dataset index'),
    ('trad', TypeError, 'ratios must be'),
    ([1, '2', 1], ValueError, 'finite number'),
])
def test_bad_ratios_are_clear_errors(ratios, error, match):
    with pytest.raises(error, match=match):
        MultiTaskPKSampler(make_concat(), 3, 2, ratios=ratios, seed=0)


def test_ambiguous_task_name_is_an_error():
    concat = make_concat((('trad', 5), ('trad', 6)))
    with pytest.raises(ValueError, match='give their ratios by index'):
        MultiTaskPKSampler(concat, 3, 2, ratios=dict(trad=1), seed=0)
    sampler = MultiTaskPKSampler(concat, 3, 2, ratios={0: 1, 1: 3}, seed=0)
    np.testing.assert_allclose(sampler.probs, [0.25, 0.75])


def test_too_few_identities_is_a_clear_error():
    concat = make_concat((('trad', 8), ('cc', 2)))
    with pytest.raises(
            ValueError,
            match=r'sub-dataset 1, task cc\): the dataset has 2 '
            'identities, fewer than num_pids=3'):
        MultiTaskPKSampler(concat, 3, 2, seed=0)
    # A sub-dataset that is never drawn may be small.
    sampler = MultiTaskPKSampler(
        concat, 3, 2, ratios=[1, 0], seed=0, seed_samples=False)
    assert all(
        local_pids(concat, b)[0] == 0 for b in take_batches(sampler, 10))


def test_a_dataset_that_is_not_a_concatenation_is_a_clear_error():
    single = FakeSubDataset(np.repeat(np.arange(5), 3), 'trad')
    PKSampler(single, 3, 2, seed=0)  # fine for the single-dataset sampler
    with pytest.raises(TypeError, match='needs a concatenation'):
        MultiTaskPKSampler(single, 3, 2, seed=0)
    concat = make_concat()
    concat.datasets[1] = list(range(len(concat.datasets[1])))
    with pytest.raises(TypeError, match='sub-dataset 1 .list. has no'):
        MultiTaskPKSampler(concat, 3, 2, seed=0)
    with pytest.raises(ValueError, match='num_pids and num_instances'):
        MultiTaskPKSampler(make_concat(), 0, 2, seed=0)


# Two real processes (gloo).


@pytest.mark.slow
@pytest.mark.skipif(not dist.is_available(), reason='no torch.distributed')
def test_two_gloo_ranks_follow_the_rule(run_two_ranks):
    out = run_two_ranks(WORKER)
    for rank in range(2):
        assert out[rank]['dist_info'] == [rank, 2]
        assert out[rank]['seen'] == dict(rank=rank, world_size=2)
    # seed=None: rank 0 drew the seed and every rank uses it.
    assert out[0]['seed'] == out[1]['seed']
    seed = out[0]['seed']

    concat = worker.make_dataset()
    args = (concat, worker.NUM_PIDS, worker.NUM_INSTANCES)
    kwargs = dict(ratios=worker.RATIOS, seed=seed)
    num = worker.NUM_BATCHES
    drawn = MultiTaskPKSampler(*args, **kwargs).iteration_datasets(0, num)
    # The union of what the ranks draw at each iteration: two different
    # P×K batches of the same sub-dataset, the one drawn for the iteration.
    for i in range(num):
        batches = [[tuple(s) for s in out[r]['batches'][i]] for r in range(2)]
        assert batches[0] != batches[1]
        for batch in batches:
            sub, _ = local_pids(concat, [idx for idx, _ in batch])
            assert sub == drawn[i]
    # Each rank's stream is what one process computes for that rank, and
    # the resumed stream continues it.
    for rank in range(2):
        with on_rank(rank, 2):
            expected = take_batches(MultiTaskPKSampler(*args, **kwargs), num)
        got = [[tuple(s) for s in b] for b in out[rank]['batches']]
        assert got == expected
        resumed = [[tuple(s) for s in b] for b in out[rank]['resumed']]
        assert resumed == expected[worker.SKIP:worker.SKIP +
                                   worker.NUM_RESUMED]
    # Per sub-dataset, the ranks' batches interleaved are the 1-process
    # stream.
    single = take_batches(MultiTaskPKSampler(*args, **kwargs), 2 * num)
    drawn2 = MultiTaskPKSampler(*args, **kwargs).iteration_datasets(0, 2 * num)
    for k in range(3):
        interleaved = [[tuple(s) for s in out[r]['batches'][i]]
                       for i in range(num) if drawn[i] == k for r in range(2)]
        one_process = [b for i, b in enumerate(single) if drawn2[i] == k]
        n = min(len(interleaved), len(one_process))
        assert n > 5
        assert interleaved[:n] == one_process[:n]
