from collections import Counter
from numbers import Integral, Real
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import Sampler

from mmreid_instruct.registry import DATA_SAMPLERS
from .multi_task_sampler import (_PK_STREAM, _SAMPLE_SEED, MultiTaskPKSampler,
                                 training_sub_datasets, values_per_sub_dataset)
from .pk_sampler import group_indices_by_pid, pk_batch_stream, pk_epoch_batches

_OWNER = 'AllTasksPKSampler'

PerList = Union[int, float, Sequence, Dict]


@DATA_SAMPLERS.register_module()
class AllTasksPKSampler(Sampler):
    """Batch sampler of the "all tasks per step" mode: every training step
    holds P×K batches of EVERY training list.

    The dataset is a concatenation (:class:`ReIDConcatDataset`) of training
    lists. A step holds ``shares[l]`` batches of list ``l`` for every list,
    each batch P×K samples of that list by the rules of :class:`PKSampler`
    (each list has its own identity-balanced stream, and may have its own P
    and K). This is a *batch* sampler: it yields the step's batches one
    after another, and :class:`AllTasksTrainLoop` takes :attr:`step_plan`
    batches per iteration, runs forward and backward on each with its loss
    weight, and makes one optimizer step. The weight of a batch of list
    ``l`` is ``loss_weights[l]`` divided by the sum of the loss weights of
    all batches of the step, so the step's gradient is the weighted mean of
    the gradients of its batches.

    Under distributed training, with ``split_across_ranks=True`` the
    batches of a step are dealt out to the ranks in turn (as the official
    code gives each list its own GPUs), so a step holds the same batches
    whatever the number of ranks; with False, every rank draws its own
    batches of every list and a step holds ``world_size`` times as many.
    The stream is a pure function of ``seed``; :meth:`skip` jumps to any
    step without loading data. Why and how:
    ``docs/en/advanced_guides/multi_task_sampling.md``.

    ``num_pids``, ``num_instances``, ``shares`` and ``loss_weights`` take
    one value for every list, a sequence (one per list, in order), or a
    dict keyed by list index or task name (every list exactly once).

    Args:
        sampler (Sampler): A sampler over the concatenation, e.g.
            ``DefaultSampler`` (mmengine builds it from
            ``train_dataloader.sampler`` and passes it here); only its
            ``dataset`` and ``seed`` are used.
        batch_size (int, optional): ``train_dataloader.batch_size``, which
            mmengine passes here: None, or the P×K of every list. Defaults
            to None.
        num_pids (int | Sequence[int] | dict): P, identities per batch.
            Defaults to 16.
        num_instances (int | Sequence[int] | dict): K, images per identity.
            Defaults to 4.
        shares (int | Sequence[int] | dict): Batches of each list per step
            (>= 1). Defaults to 1.
        loss_weights (float | Sequence[float] | dict): Loss weight of each
            list (> 0). Defaults to 1.
        split_across_ranks (bool): Deal a step's batches out to the ranks
            (True) or give every rank batches of every list (False).
            Defaults to True.
        seed (int, optional): Random seed, the same on every rank. None:
            ``sampler.seed``, or a seed drawn and synchronised across ranks.
        seed_samples (bool): Yield ``(global_index, sample_seed)`` pairs
            instead of global indices. Defaults to True.

    Example:
        >>> train_dataloader = dict(
        ...     batch_size=None,  # each list's P x K is set here
        ...     sampler=dict(type='DefaultSampler', shuffle=False),
        ...     batch_sampler=dict(
        ...         type='AllTasksPKSampler', num_pids=8, num_instances=4,
        ...         shares=dict(trad=1, t2i=2)),
        ...     dataset=dict(type='ReIDConcatDataset', datasets=[
        ...         dict(type='SynthOmniReID', task='trad'),
        ...         dict(type='SynthOmniReID', task='t2i')]))
        >>> train_cfg = dict(type='AllTasksTrainLoop', max_iters=1500)
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_size: Optional[int] = None,
                 num_pids: PerList = 16,
                 num_instances: PerList = 4,
                 shares: PerList = 1,
                 loss_weights: PerList = 1,
                 split_across_ranks: bool = True,
                 seed: Optional[int] = None,
                 seed_samples: bool = True) -> None:
        dataset = getattr(sampler, 'dataset', None)
        if dataset is None:
            raise TypeError(
                f'{_OWNER} needs a sampler with a `dataset` attribute (e.g. '
                f"train_dataloader.sampler=dict(type='DefaultSampler')), got "
                f'{type(sampler).__name__}.')
        self.sampler = sampler  # read by mmengine's DistSamplerSeedHook
        self.dataset = dataset
        self.datasets, self.offsets = training_sub_datasets(
            dataset, _OWNER, seed_samples)
        self.tasks = [MultiTaskPKSampler._task_of(s) for s in self.datasets]
        self.num_pids = self._per_list(num_pids, 'num_pids', True)
        self.num_instances = self._per_list(num_instances, 'num_instances',
                                            True)
        self.shares = self._per_list(shares, 'shares', True)
        self.loss_weights = self._per_list(loss_weights, 'loss_weights', False)
        sizes = [p * k for p, k in zip(self.num_pids, self.num_instances)]
        if batch_size is not None and any(s != batch_size for s in sizes):
            raise ValueError(
                f'{_OWNER}: train_dataloader.batch_size={batch_size} is not '
                f'the P x K of every list ({sizes}); set batch_size=None, '
                'the batch sampler sets the batch sizes.')
        if seed is None:
            seed = getattr(sampler, 'seed', None)
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.seed_samples = seed_samples
        self.split_across_ranks = split_across_ranks
        self.rank, self.world_size = get_dist_info()
        self.list_names = self._list_names()

        self._indices_per_pid = [
            group_indices_by_pid(
                sub.get_pids(), self.num_pids[k],
                f'{_OWNER} (sub-dataset {k}, task '
                f'{self.tasks[k]})') for k, sub in enumerate(self.datasets)
        ]
        # Batches of each list in one step, all ranks together.
        copies = 1 if split_across_ranks else self.world_size
        self.batches_per_step = [share * copies for share in self.shares]
        self._mine = self._rank_batches()
        total = sum(w * n
                    for w, n in zip(self.loss_weights, self.batches_per_step))
        #: ``(list index, weight)`` of each batch this rank takes in a step.
        self.step_plan = [(k, self.loss_weights[k] / total)
                          for k, _ in self._mine]
        self._start_step = 0
        self._len = None
        print_log(f'{_OWNER}: {self._summary()}', logger='current')

    def _summary(self) -> str:
        lists = ', '.join(
            f'{name}: {n} x {p}x{k} (loss weight {w:g})' for name, n, p, k, w
            in zip(self.list_names, self.batches_per_step, self.num_pids,
                   self.num_instances, self.loss_weights))
        return (f'per step {lists}; this rank takes {len(self._mine)} of the '
                f"step's {sum(self.batches_per_step)} batches.")

    def _per_list(self, values: PerList, name: str,
                  integer: bool) -> List[Union[int, float]]:
        """One positive number per list (an integer when ``integer``)."""
        if isinstance(values, Real) and not isinstance(values, bool):
            values = [values] * len(self.datasets)
        values = values_per_sub_dataset(values, self.tasks, _OWNER, name,
                                        f'a value of {name}')
        kind = Integral if integer else Real
        for k, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, kind) or \
                    not np.isfinite(value) or value <= 0:
                raise ValueError(
                    f'{_OWNER}: {name} of sub-dataset {k} ({self.tasks[k]}) '
                    f'must be a {"whole" if integer else "finite"} number '
                    f'> 0, got {value!r}.')
        return [int(v) if integer else float(v) for v in values]

    def _list_names(self) -> List[str]:
        """Names of the lists in the log: the task, or when several lists
        have that task, ``<dataset_name>_<task>`` (then the index)."""
        counts = Counter(self.tasks)
        names = []
        for k, (sub, task) in enumerate(zip(self.datasets, self.tasks)):
            name = str(task) if task is not None else f'list{k}'
            if counts[task] > 1:
                name = f'{getattr(sub, "dataset_name", k)}_{name}'
            names.append(name)
        counts = Counter(names)
        return [
            f'{name}{k}' if counts[name] > 1 else name
            for k, name in enumerate(names)
        ]

    def _rank_batches(self) -> List[Tuple[int, int]]:
        """This rank's batches of a step: ``(list, position)`` pairs, the
        position of the batch among the step's batches of that list."""
        layout = [(k, j) for k, n in enumerate(self.batches_per_step)
                  for j in range(n)]
        if not self.split_across_ranks:
            return [(k, j) for k, j in layout
                    if j // self.shares[k] == self.rank]
        if self.world_size > len(layout):
            raise ValueError(
                f'{_OWNER}: split_across_ranks=True deals the '
                f'{len(layout)} batches of a step out to the ranks, but '
                f'there are {self.world_size} ranks; use at most '
                f'{len(layout)} processes, larger shares, or '
                'split_across_ranks=False.')
        return [
            pair for p, pair in enumerate(layout)
            if p % self.world_size == self.rank
        ]

    def skip(self, num_steps: int) -> None:
        """Make the next iteration start at step ``num_steps``, without
        loading any data.

        Args:
            num_steps (int): Steps (iterations) already trained on.
        """
        self._start_step = int(num_steps)

    def _sample_seed(self, k: int, number: int, position: int) -> int:
        return int(
            np.random.SeedSequence(
                [self.seed, _SAMPLE_SEED, k, number,
                 position]).generate_state(1)[0])

    def _stream(self, k: int, start: int) -> Iterator:
        return pk_batch_stream(self._indices_per_pid[k], self.num_pids[k],
                               self.num_instances[k],
                               [self.seed, _PK_STREAM, k], start)

    def __iter__(self) -> Iterator[list]:
        step = self._start_step
        streams: Dict[int, Iterator] = {}
        while True:
            for k, j in self._mine:
                wanted = step * self.batches_per_step[k] + j
                if k not in streams:
                    streams[k] = self._stream(k, wanted)
                number, batch = next(streams[k])
                while number < wanted:  # other ranks' batches
                    number, batch = next(streams[k])
                offset = self.offsets[k]
                if self.seed_samples:
                    yield [(offset + int(index),
                            self._sample_seed(k, number, position))
                           for position, index in enumerate(batch)]
                else:
                    yield [offset + int(index) for index in batch]
            step += 1

    def __len__(self) -> int:
        """The number of batches this rank draws in a nominal epoch: as
        many steps as the list whose first epoch runs out first has (at
        least one); the sampler is infinite."""
        if self._len is None:
            steps = min(
                len(
                    pk_epoch_batches(
                        groups, self.num_pids[k], self.num_instances[k],
                        np.random.default_rng([self.seed, _PK_STREAM, k, 0])))
                // n for k, (groups, n) in enumerate(
                    zip(self._indices_per_pid, self.batches_per_step)))
            self._len = max(steps, 1) * len(self._mine)
        return self._len
