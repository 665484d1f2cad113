import itertools
from typing import Iterator, List, Optional, Sequence, Sized, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmreid_instruct.registry import DATA_SAMPLERS


def group_indices_by_pid(pids: Sequence[int],
                         num_pids: int,
                         owner: str = 'PKSampler') -> List[np.ndarray]:
    """Group sample indices by identity, for P×K sampling.

    Args:
        pids (Sequence[int]): The pid of every sample, in index order (what
            :meth:`BaseReIDDataset.get_pids` returns).
        num_pids (int): P, identities per batch; there must be at least as
            many identities.
        owner (str): Who asks, named in the error message.

    Returns:
        list[np.ndarray]: The indices of each identity, identities in sorted
        order of their pids.

    Raises:
        ValueError: There are fewer than ``num_pids`` identities.
    """
    pids = np.asarray(pids)
    unique_pids = np.unique(pids)
    if len(unique_pids) < num_pids:
        raise ValueError(
            f'{owner}: the dataset has {len(unique_pids)} identities, '
            f'fewer than num_pids={num_pids} per batch.')
    return [np.flatnonzero(pids == pid) for pid in unique_pids]


def pk_epoch_batches(indices_per_pid: Sequence[np.ndarray], num_pids: int,
                     num_instances: int,
                     rng: np.random.Generator) -> List[np.ndarray]:
    """Return the P×K batches of one epoch.

    An epoch visits every image of every identity once, in groups of K
    (identities with fewer than K images, and the last incomplete group of
    an identity, are filled by drawing again from that identity's images),
    and stops when fewer than P identities have groups left. Each batch is
    P groups of K indices, one group per identity, P distinct identities.

    Args:
        indices_per_pid (Sequence[np.ndarray]): Indices of each identity
            (see :func:`group_indices_by_pid`), at least ``num_pids``.
        num_pids (int): P.
        num_instances (int): K.
        rng (np.random.Generator): The only source of randomness.

    Returns:
        list[np.ndarray]: Batches of ``P * K`` indices; never empty.
    """
    k = num_instances
    groups = []
    for indices in indices_per_pid:
        indices = rng.permutation(indices)
        shortfall = -len(indices) % k
        if shortfall:
            indices = np.concatenate([indices, rng.choice(indices, shortfall)])
        groups.append(list(indices.reshape(-1, k)))
    batches = []
    # Identities with groups left, in increasing order (kept up to date
    # rather than rebuilt for every batch; the draws are the same).
    available = np.arange(len(groups))
    while len(available) >= num_pids:
        chosen = rng.choice(available, num_pids, replace=False)
        batches.append(np.concatenate([groups[i].pop() for i in chosen]))
        exhausted = [i for i in chosen if not groups[i]]
        if exhausted:
            available = available[~np.isin(available, exhausted)]
    return batches


def pk_batch_stream(indices_per_pid: Sequence[np.ndarray],
                    num_pids: int,
                    num_instances: int,
                    seed_key: Sequence[int],
                    start: int = 0) -> Iterator[Tuple[int, np.ndarray]]:
    """Yield ``(batch_number, batch)`` of an endless P×K stream.

    Epoch ``e`` is :func:`pk_epoch_batches` with the generator
    ``np.random.default_rng([*seed_key, e])``; the stream is the epochs one
    after another, so it is a pure function of ``seed_key``.

    Args:
        indices_per_pid (Sequence[np.ndarray]): Indices of each identity.
        num_pids (int): P.
        num_instances (int): K.
        seed_key (Sequence[int]): Seed of the stream (the epoch number is
            appended to it).
        start (int): Number of the first batch to yield; earlier batches
            are computed (as indices, no data is loaded) and dropped.
            Defaults to 0.

    Yields:
        tuple[int, np.ndarray]: The batch number in the stream (from
        ``start`` on) and its ``P * K`` indices.
    """
    seed_key = [int(s) for s in seed_key]
    first = 0  # number of the first batch of the current epoch
    for epoch in itertools.count():
        batches = pk_epoch_batches(indices_per_pid, num_pids, num_instances,
                                   np.random.default_rng(seed_key + [epoch]))
        for i in range(max(start - first, 0), len(batches)):
            yield first + i, batches[i]
        first += len(batches)


@DATA_SAMPLERS.register_module()
class PKSampler(Sampler):
    """Identity-balanced P×K sampler for iteration-based training.

    Every batch holds ``num_pids`` (P) identities with ``num_instances`` (K)
    images each, so the dataloader's ``batch_size`` must be ``P * K``. The
    sampler is infinite: it draws one "epoch" after another, where an epoch
    visits every image of every identity once (identities with fewer than K
    images, and the last incomplete group of an identity, are filled by
    drawing again from that identity's images) and stops when fewer than P
    identities have groups left.

    The stream of batches is a pure function of ``seed``: batch ``b`` of the
    whole stream goes to rank ``b % world_size``, and :meth:`skip` jumps to
    any position without loading images, which is how resumed runs continue
    exactly where they stopped.

    With ``seed_samples=True`` (default) the sampler yields
    ``(index, sample_seed)`` pairs; :class:`BaseReIDDataset` runs the
    pipeline of that sample with its own seed, so data augmentation depends
    only on the position in the stream, not on the number of workers or on
    interruptions.

    Args:
        dataset (Sized): The dataset; it must provide ``get_pids()``
            (see :class:`BaseReIDDataset`).
        num_pids (int): P, identities per batch. Defaults to 16.
        num_instances (int): K, images per identity. Defaults to 4.
        seed (int, optional): Random seed; the same on every rank. If None,
            a random seed is drawn and synchronised across ranks.
        seed_samples (bool): Yield ``(index, sample_seed)`` pairs instead of
            plain indices. Defaults to True.

    Example:
        >>> class Pids(list):  # what the sampler reads of a dataset
        ...     def get_pids(self):
        ...         return np.array(self)
        >>> dataset = Pids([0, 0, 0, 1, 1, 2, 2, 2, 2])
        >>> sampler = PKSampler(dataset, num_pids=2, num_instances=2, seed=0)
        >>> batch = list(itertools.islice(sampler, 4))  # P * K
        >>> pids = [dataset[index] for index, _ in batch]
        >>> pids[0] == pids[1] != pids[2] == pids[3]
        True
    """

    def __init__(self,
                 dataset: Sized,
                 num_pids: int = 16,
                 num_instances: int = 4,
                 seed: Optional[int] = None,
                 seed_samples: bool = True) -> None:
        if num_pids < 1 or num_instances < 1:
            raise ValueError('PKSampler: num_pids and num_instances must be '
                             f'>= 1, got {num_pids} and {num_instances}.')
        if not hasattr(dataset, 'get_pids'):
            raise TypeError(f'PKSampler needs a dataset with get_pids(), got '
                            f'{type(dataset).__name__}.')
        self.dataset = dataset
        self.num_pids = num_pids
        self.num_instances = num_instances
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.seed_samples = seed_samples
        self.rank, self.world_size = get_dist_info()

        self._indices_per_pid = group_indices_by_pid(dataset.get_pids(),
                                                     num_pids, 'PKSampler')
        self._start_batch = 0
        self._epoch_length = None

    @property
    def batch_size(self) -> int:
        """int: P × K, the batch size the dataloader must use."""
        return self.num_pids * self.num_instances

    def _epoch_batches(self, epoch: int) -> List[np.ndarray]:
        """Return the batches (arrays of P*K indices) of one epoch."""
        return pk_epoch_batches(self._indices_per_pid, self.num_pids,
                                self.num_instances,
                                np.random.default_rng([self.seed, epoch]))

    def _global_batches(self,
                        start: int = 0) -> Iterator[Tuple[int, np.ndarray]]:
        """Yield ``(global_batch_index, batch)`` forever, from ``start``."""
        return pk_batch_stream(self._indices_per_pid, self.num_pids,
                               self.num_instances, [self.seed], start)

    def _sample_seed(self, batch_index: int, position: int) -> int:
        return int(
            np.random.SeedSequence([self.seed, batch_index,
                                    position]).generate_state(1)[0])

    def skip(self, num_batches: int) -> None:
        """Make the next iteration start after ``num_batches`` batches of
        this rank, without loading any data.

        Args:
            num_batches (int): Batches this rank has already consumed.
        """
        self._start_batch = int(num_batches)

    def __iter__(self) -> Iterator:
        start = self._start_batch * self.world_size
        for batch_index, batch in self._global_batches(start):
            if batch_index % self.world_size != self.rank:
                continue
            for position, index in enumerate(batch):
                if self.seed_samples:
                    yield int(index), self._sample_seed(batch_index, position)
                else:
                    yield int(index)

    def __len__(self) -> int:
        """The number of samples this rank draws in the first epoch."""
        if self._epoch_length is None:
            self._epoch_length = len(self._epoch_batches(0))
        num_batches = self._epoch_length
        return (num_batches // self.world_size) * self.batch_size
