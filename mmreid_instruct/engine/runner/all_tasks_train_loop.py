import contextlib
from collections import OrderedDict, defaultdict
from typing import Dict, List, Sequence

import torch
from mmengine.dist import get_world_size
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper

from mmreid_instruct.registry import LOOPS
from ..hooks.non_finite_loss_hook import NonFiniteLossHook
from .reid_iter_based_train_loop import ReIDIterBasedTrainLoop


@LOOPS.register_module()
class AllTasksTrainLoop(ReIDIterBasedTrainLoop):
    """Iteration-based training where every optimizer step sees every task.

    The training dataloader's batch sampler is :class:`AllTasksPKSampler`:
    its ``step_plan`` gives, for each batch this rank trains on in a step,
    the training list it comes from and its weight. One iteration takes
    that many batches from the dataloader and, for each, runs the data
    preprocessor and the model's loss, and back-propagates the loss times
    its weight (gradients accumulate); then the optimizer makes one step.
    The weights of a step's batches (all ranks together) sum to 1, so the
    gradient of a step is the weighted mean of the gradients of its batches.
    Under ``DistributedDataParallel`` the gradients are synchronised only in
    the last backward pass of the iteration (``no_sync`` before it), and
    the losses are multiplied by the world size because DDP averages the
    gradients of the ranks. Resuming is exact, as with
    :class:`ReIDIterBasedTrainLoop` (the batch sampler skips whole steps).
    See ``docs/en/advanced_guides/multi_task_sampling.md``.

    Logged: ``loss`` (this rank's weighted mean loss) and, per training list
    (named by ``AllTasksPKSampler.list_names``, e.g. ``trad`` or
    ``market_trad``), every loss term averaged over its batches, e.g.
    ``trad.loss_cls_g``.

    Args:
        runner (Runner): A reference of runner.
        dataloader (DataLoader | dict): The training dataloader or its
            config, with ``batch_sampler=dict(type='AllTasksPKSampler')``.
        max_iters (int): Total training iterations (optimizer steps).
        val_begin (int): The iteration that begins validating. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1000.
        dynamic_intervals (list[tuple[int, int]], optional): Milestones and
            the validation intervals used after them. Defaults to None.

    Example:
        >>> train_cfg = dict(type='AllTasksTrainLoop', max_iters=1500,
        ...                  val_interval=500)
    """

    trains_step_groups = True

    def __init__(self, runner, dataloader, *args, **kwargs) -> None:
        super().__init__(runner, dataloader, *args, **kwargs)
        batch_sampler = self.dataloader.batch_sampler
        if not hasattr(batch_sampler, 'step_plan'):
            raise TypeError(
                'AllTasksTrainLoop needs the batch sampler of the "all tasks '
                "per step\" mode: train_dataloader.batch_sampler=dict(type="
                f"'AllTasksPKSampler', ...), got "
                f'{type(batch_sampler).__name__}.')
        self.step_plan = list(batch_sampler.step_plan)
        self.list_names = list(batch_sampler.list_names)
        self._non_finite_hook = None  # found in run()

    def run(self):
        """Check the optimizer wrapper, then launch training."""
        optim_wrapper = self.runner.optim_wrapper
        if not isinstance(optim_wrapper, OptimWrapper):
            raise TypeError(
                'AllTasksTrainLoop needs one OptimWrapper (or AmpOptimWrapper)'
                f', got {type(optim_wrapper).__name__}.')
        if optim_wrapper._accumulative_counts != 1:
            raise ValueError(
                'AllTasksTrainLoop accumulates the gradients of a step\'s '
                'batches itself; optim_wrapper.accumulative_counts must be 1, '
                f'got {optim_wrapper._accumulative_counts}.')
        self._check_t2i_head_on_all_ranks()
        self._non_finite_hook = next(
            (h for h in self.runner.hooks if isinstance(h, NonFiniteLossHook)),
            None)
        return super().run()

    def _check_t2i_head_on_all_ranks(self) -> None:
        """A t2i head that gathers from every rank (``needs_all_ranks``,
        e.g. :class:`ALBEFT2IHead`) cannot train when a step's batches are
        dealt out to the ranks: the t2i batch runs on one rank only."""
        batch_sampler = self.dataloader.batch_sampler
        model = self.runner.model
        module = model.module if is_model_wrapper(model) else model
        head = getattr(module, 't2i_head', None)
        if (getattr(head, 'needs_all_ranks', False)
                and getattr(batch_sampler, 'split_across_ranks', False)
                and get_world_size() > 1
                and 't2i' in getattr(batch_sampler, 'tasks', ())):
            raise ValueError(
                f'AllTasksTrainLoop: the t2i head {type(head).__name__} '
                'gathers its queues from every rank in each t2i batch, but '
                'with split_across_ranks=True a step\'s t2i batch runs on one '
                'rank only; set train_dataloader.batch_sampler.'
                'split_across_ranks=False.')

    def run_iter(self, data_batch) -> None:
        """One optimizer step over the batches of every training list.

        Args:
            data_batch (dict): The first batch of the step; the others are
                taken from the dataloader here.
        """
        group = [data_batch] + [
            next(self.dataloader_iterator)
            for _ in range(len(self.step_plan) - 1)
        ]
        self.runner.call_hook(
            'before_train_iter', batch_idx=self._iter, data_batch=group)
        outputs = self.train_step(group)
        self.runner.call_hook(
            'after_train_iter',
            batch_idx=self._iter,
            data_batch=group,
            outputs=outputs)
        self._iter += 1

    def train_step(self, group: Sequence[dict]) -> Dict[str, torch.Tensor]:
        """Forward and backward on every batch of ``group`` with its weight,
        then one optimizer step.

        Args:
            group (Sequence[dict]): The batches of this rank in the step, in
                the order of ``step_plan``.

        Returns:
            dict: The log variables (detached).
        """
        model = self.runner.model
        wrapped = is_model_wrapper(model)
        module = model.module if wrapped else model
        optim_wrapper = self.runner.optim_wrapper
        scale = get_world_size() if wrapped else 1
        last = len(group) - 1
        per_list: Dict[int, List[dict]] = defaultdict(list)
        weighted_loss, weight_sum = 0., 0.
        for i, (batch, (k, weight)) in enumerate(zip(group, self.step_plan)):
            sync = model.no_sync() if wrapped and i < last else \
                contextlib.nullcontext()
            with sync:
                with optim_wrapper.optim_context(module):
                    data = module.data_preprocessor(batch, True)
                    losses = model(**data, mode='loss')
                loss, log_vars = module.parse_losses(losses)
                if self._skipped_non_finite(loss):
                    return _detached(log_vars)
                optim_wrapper.backward(loss * (weight * scale))
            per_list[k].append(_detached(log_vars))
            weighted_loss += weight * log_vars['loss'].detach()
            weight_sum += weight
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        outputs = OrderedDict(loss=weighted_loss / weight_sum)
        for k, logs in per_list.items():
            for key in logs[0]:
                outputs[f'{self.list_names[k]}.{key}'] = sum(
                    log[key] for log in logs) / len(logs)
        return outputs

    def _skipped_non_finite(self, loss: torch.Tensor) -> bool:
        """With a :class:`NonFiniteLossHook`, a loss that is not finite goes
        to the hook's check (it wraps ``optim_wrapper.update_params``):
        training stops, or the step is skipped (the gradients accumulated so
        far are dropped) and True is returned."""
        if self._non_finite_hook is None or bool(torch.isfinite(loss).all()):
            return False
        self.runner.optim_wrapper.zero_grad()
        self.runner.optim_wrapper.update_params(loss)
        return True


def _detached(log_vars: dict) -> dict:
    return OrderedDict(
        (key, value.detach() if torch.is_tensor(value) else value)
        for key, value in log_vars.items())
