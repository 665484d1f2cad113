import math
from numbers import Real
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import ConcatDataset as MMConcatDataset
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import ConcatDataset as TorchConcatDataset
from torch.utils.data import Sampler

from mmreid_instruct.registry import DATA_SAMPLERS
from mmreid_instruct.utils.tasks import normalize_task
from .pk_sampler import group_indices_by_pid, pk_batch_stream, pk_epoch_batches

# Tags that keep the random streams of the sampler apart (the second entry
# of every seed key).
_PK_STREAM, _DATASET_DRAW, _SAMPLE_SEED = 1, 2, 3


def training_sub_datasets(dataset, owner: str,
                          seed_samples: bool) -> Tuple[list, List[int]]:
    """Check a concatenation of training sets for the multi-task samplers
    and return its sub-datasets and their offsets.

    Args:
        dataset (ConcatDataset): A concatenation with ``datasets`` (each
            with ``get_pids()``) and, like mmengine's, ``cumulative_sizes``;
            it is fully initialised here.
        owner (str): Who asks, named in the error messages.
        seed_samples (bool): Whether ``(index, seed)`` pairs will be drawn
            (the concatenation must forward them to its sub-datasets).

    Returns:
        tuple[list, list[int]]: The sub-datasets and the global index of
        the first sample of each.

    Example:
        >>> training_sub_datasets([], 'MySampler', True)
        Traceback (most recent call last):
        ...
        TypeError: MySampler needs a concatenation of training sets ...
    """
    if not hasattr(dataset, 'datasets'):
        raise TypeError(
            f'{owner} needs a concatenation of training sets '
            "(dict(type='ReIDConcatDataset', datasets=[...]), one per "
            f'task or benchmark), got {type(dataset).__name__}; for a '
            'single dataset use PKSampler.')
    getitem = getattr(type(dataset), '__getitem__', None)
    if seed_samples and getitem in (MMConcatDataset.__getitem__,
                                    TorchConcatDataset.__getitem__):
        raise TypeError(
            f'{owner}: {type(dataset).__name__} does not accept (index, seed) '
            "indices; use type='ReIDConcatDataset', which forwards them to "
            'its sub-datasets, or seed_samples=False.')
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    datasets = list(dataset.datasets)
    if not datasets:
        raise ValueError(f'{owner}: the concatenation is empty.')
    for k, sub in enumerate(datasets):
        if not hasattr(sub, 'get_pids'):
            raise TypeError(f'{owner}: sub-dataset {k} '
                            f'({type(sub).__name__}) has no get_pids().')
    sizes = [len(sub) for sub in datasets]
    cumulative = list(np.cumsum(sizes))
    if list(getattr(dataset, 'cumulative_sizes', cumulative)) != cumulative:
        raise ValueError(
            f'{owner}: cumulative_sizes {list(dataset.cumulative_sizes)} do '
            f'not match the sub-dataset sizes {sizes}.')
    return datasets, [0] + [int(c) for c in cumulative[:-1]]


def values_per_sub_dataset(values: Union[Sequence,
                                         Dict], tasks: Sequence[Optional[str]],
                           owner: str, name: str, what: str) -> list:
    """One value per sub-dataset of a concatenation, from a sequence (in
    order) or a dict keyed by sub-dataset index or by task name (any
    accepted spelling), every sub-dataset exactly once.

    Args:
        values (Sequence | dict): What the config gives.
        tasks (Sequence[str | None]): The task of each sub-dataset.
        owner (str): Who asks, named in the error messages.
        name (str): The argument, named in the error messages.
        what (str): What each sub-dataset must be given, for the message
            on missing ones, e.g. ``'a ratio'``.

    Returns:
        list: The values, unchecked, one per sub-dataset in order.

    Example:
        >>> values_per_sub_dataset(dict(sc=2, cc=1), ['cc', 'trad'],
        ...                        'MySampler', 'ratios', 'a ratio')
        [1, 2]
    """
    n = len(tasks)
    if isinstance(values, dict):
        result = [None] * n
        for key, value in values.items():
            if isinstance(key, (int, np.integer)) and \
                    not isinstance(key, bool):
                if not 0 <= key < n:
                    raise ValueError(
                        f'{owner}: {name} key {key} is not a sub-dataset '
                        f'index (0..{n - 1}).')
                k = int(key)
            elif isinstance(key, str):
                task = normalize_task(key)  # unknown names raise
                matches = [i for i, t in enumerate(tasks) if t == task]
                if not matches:
                    raise ValueError(
                        f'{owner}: {name} key {key!r}: no sub-dataset has '
                        f'task {task!r} (tasks: {list(tasks)}).')
                if len(matches) > 1:
                    raise ValueError(
                        f'{owner}: {name} key {key!r}: sub-datasets '
                        f'{matches} all have task {task!r}; give their '
                        f'{name} by index.')
                k = matches[0]
            else:
                raise TypeError(
                    f'{owner}: {name} keys are sub-dataset indices or task '
                    f'names, got {key!r}.')
            if result[k] is not None:
                raise ValueError(f'{owner}: {name} give sub-dataset {k} '
                                 f'({tasks[k]}) twice.')
            result[k] = value
        missing = [k for k, v in enumerate(result) if v is None]
        if missing:
            raise ValueError(
                f'{owner}: {name} miss sub-datasets {missing} (tasks '
                f'{[tasks[k] for k in missing]}); give every sub-dataset '
                f'{what}.')
        return result
    if isinstance(values, (list, tuple, np.ndarray)):
        if len(values) != n:
            raise ValueError(
                f'{owner}: {len(values)} {name} for {n} sub-datasets.')
        return list(values)
    raise TypeError(f'{owner}: {name} must be None, a sequence or a dict, '
                    f'got {type(values).__name__}.')


@DATA_SAMPLERS.register_module()
class MultiTaskPKSampler(Sampler):
    """Multi-task P×K sampler: every batch is P×K samples of ONE sub-dataset.

    The dataset is a concatenation (:class:`ReIDConcatDataset`) of training
    sets, typically one per task (or per benchmark), each providing
    ``get_pids()`` like :class:`BaseReIDDataset`. At every iteration the
    sampler draws one sub-dataset with the probabilities given by ``ratios``
    and takes the next P×K batch of that sub-dataset's identity-balanced
    stream (the rules of :class:`PKSampler`). Under distributed training
    every rank draws the same sub-dataset and gets its own batch of it. The
    stream is a pure function of ``seed``; :meth:`skip` jumps to any
    iteration without loading data. With ``seed_samples=True`` it yields
    ``(global_index, sample_seed)`` pairs, which the dataset must accept.
    Why it works this way: ``docs/en/advanced_guides/multi_task_sampling.md``.

    Args:
        dataset (ConcatDataset): The concatenation of training sets; it
            must have ``datasets`` (each with ``get_pids()`` and
            ``__len__``) and ``cumulative_sizes`` like mmengine's
            ``ConcatDataset``.
        num_pids (int): P, identities per batch. Defaults to 16.
        num_instances (int): K, images per identity. Defaults to 4.
        ratios (Sequence[float] | dict, optional): Relative frequency with
            which each sub-dataset is drawn. None: proportional to the
            sub-dataset sizes. A sequence: one weight per sub-dataset, in
            order. A dict: weights keyed by sub-dataset index or by task
            name (any accepted spelling, e.g. ``'sc'`` or ``'trad'``; the
            task of a sub-dataset is its ``task`` attribute, or else that of
            its first record), every sub-dataset exactly once. Weights are
            non-negative, not all zero, and are normalised; a sub-dataset of
            weight 0 is never drawn. Defaults to None.
        seed (int, optional): Random seed; the same on every rank. If None,
            a random seed is drawn and synchronised across ranks.
        seed_samples (bool): Yield ``(global_index, sample_seed)`` pairs
            instead of plain global indices. Defaults to True.

    Example:
        >>> train_dataloader = dict(
        ...     batch_size=64,  # = P * K
        ...     sampler=dict(type='MultiTaskPKSampler', num_pids=16,
        ...                  num_instances=4, ratios=dict(trad=2, cc=1)),
        ...     dataset=dict(type='ReIDConcatDataset', datasets=[
        ...         dict(type='SynthOmniReID', task='trad'),
        ...         dict(type='SynthOmniReID', task='cc')]))
    """

    #: Iterations whose sub-datasets are drawn with one random generator.
    BLOCK = 4096

    def __init__(self,
                 dataset,
                 num_pids: int = 16,
                 num_instances: int = 4,
                 ratios: Union[None, Sequence[float], Dict] = None,
                 seed: Optional[int] = None,
                 seed_samples: bool = True) -> None:
        if num_pids < 1 or num_instances < 1:
            raise ValueError(
                'MultiTaskPKSampler: num_pids and num_instances must be >= 1, '
                f'got {num_pids} and {num_instances}.')
        self.dataset = dataset
        self.datasets, self.offsets = training_sub_datasets(
            dataset, 'MultiTaskPKSampler', seed_samples)
        sizes = [len(sub) for sub in self.datasets]

        self.num_pids = num_pids
        self.num_instances = num_instances
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.seed_samples = seed_samples
        self.rank, self.world_size = get_dist_info()
        self.tasks = [self._task_of(sub) for sub in self.datasets]
        self.probs = self._resolve_ratios(ratios, sizes)

        # Index groups of the sub-datasets that can be drawn.
        self._indices_per_pid: List[Optional[List[np.ndarray]]] = []
        for k, sub in enumerate(self.datasets):
            if self.probs[k] == 0:
                self._indices_per_pid.append(None)
                continue
            self._indices_per_pid.append(
                group_indices_by_pid(
                    sub.get_pids(), num_pids,
                    f'MultiTaskPKSampler (sub-dataset {k}, task '
                    f'{self.tasks[k]})'))
        self._start_batch = 0
        self._len = None
        print_log(
            f'MultiTaskPKSampler: {num_pids}x{num_instances} per batch, '
            'sub-datasets drawn with probabilities ' +
            ', '.join(f'{k} ({t}): {p:.3f}'
                      for k, (t, p) in enumerate(zip(self.tasks, self.probs))),
            logger='current')

    @staticmethod
    def _task_of(sub) -> Optional[str]:
        """The task of a sub-dataset: its ``task`` attribute, or else that of
        its first record (None when neither exists)."""
        task = getattr(sub, 'task', None)
        if task is None and hasattr(sub, 'get_data_info') and len(sub):
            task = sub.get_data_info(0).get('task')
        return None if task is None else normalize_task(task)

    def _resolve_ratios(self, ratios, sizes: List[int]) -> np.ndarray:
        """Turn ``ratios`` into one probability per sub-dataset."""
        if ratios is None:
            weights = [float(s) for s in sizes]
        else:
            weights = values_per_sub_dataset(ratios, self.tasks,
                                             'MultiTaskPKSampler', 'ratios',
                                             'a ratio (0 to never draw it)')
        for k, w in enumerate(weights):
            if isinstance(w, bool) or not isinstance(w, Real) or \
                    not math.isfinite(w) or w < 0:
                raise ValueError(
                    f'MultiTaskPKSampler: the ratio of sub-dataset {k} '
                    f'({self.tasks[k]}) must be a finite number >= 0, got '
                    f'{w!r}.')
        weights = np.asarray(weights, dtype=np.float64)
        if weights.sum() <= 0:
            raise ValueError('MultiTaskPKSampler: all ratios are zero (or all '
                             'sub-datasets are empty); nothing can be drawn.')
        return weights / weights.sum()

    @property
    def batch_size(self) -> int:
        """int: P × K, the batch size the dataloader must use."""
        return self.num_pids * self.num_instances

    def _block(self, block: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, _DATASET_DRAW, block])
        return rng.choice(len(self.datasets), self.BLOCK, p=self.probs)

    def iteration_datasets(self, start: int, stop: int) -> np.ndarray:
        """Which sub-dataset iterations ``start`` to ``stop - 1`` draw from.

        The same on every rank and for any number of ranks.

        Args:
            start (int): First iteration.
            stop (int): One past the last iteration.

        Returns:
            np.ndarray: Sub-dataset indices, one per iteration.
        """
        if stop <= start:
            return np.zeros(0, dtype=np.int64)
        first, last = start // self.BLOCK, (stop - 1) // self.BLOCK
        drawn = np.concatenate(
            [self._block(b) for b in range(first, last + 1)])
        return drawn[start - first * self.BLOCK:stop - first * self.BLOCK]

    def _sample_seed(self, k: int, batch_number: int, position: int) -> int:
        return int(
            np.random.SeedSequence(
                [self.seed, _SAMPLE_SEED, k, batch_number,
                 position]).generate_state(1)[0])

    def skip(self, num_batches: int) -> None:
        """Make the next iteration start after ``num_batches`` batches of
        this rank (= iterations), without loading any data.

        Args:
            num_batches (int): Batches this rank has already consumed.
        """
        self._start_batch = int(num_batches)

    def __iter__(self) -> Iterator:
        world_size, rank = self.world_size, self.rank
        step = self._start_batch
        # Batches of each sub-dataset's stream taken by earlier iterations
        # (by all ranks together).
        taken = np.bincount(
            self.iteration_datasets(0, step), minlength=len(
                self.datasets)) * world_size
        streams = {}
        while True:
            block = step // self.BLOCK
            for k in self._block(block)[step - block * self.BLOCK:]:
                k = int(k)
                if k not in streams:
                    streams[k] = pk_batch_stream(self._indices_per_pid[k],
                                                 self.num_pids,
                                                 self.num_instances,
                                                 [self.seed, _PK_STREAM, k],
                                                 int(taken[k]))
                for r in range(world_size):
                    number, batch = next(streams[k])
                    if r == rank:
                        mine = number, batch
                number, batch = mine
                offset = self.offsets[k]
                for position, index in enumerate(batch):
                    if self.seed_samples:
                        yield (offset + int(index),
                               self._sample_seed(k, number, position))
                    else:
                        yield offset + int(index)
                step += 1

    def __len__(self) -> int:
        """The number of samples this rank draws in as many iterations as
        the first epochs of the drawable sub-datasets have batches, split
        over the ranks (a nominal epoch; the sampler is infinite)."""
        if self._len is None:
            self._len = sum(
                len(
                    pk_epoch_batches(
                        groups, self.num_pids, self.num_instances,
                        np.random.default_rng([self.seed, _PK_STREAM, k, 0])))
                for k, groups in enumerate(self._indices_per_pid)
                if groups is not None)
        return (self._len // self.world_size) * self.batch_size
