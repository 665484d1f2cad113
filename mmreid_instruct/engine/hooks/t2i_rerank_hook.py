"""Hand the model's image-text matching scores to the t2i metrics."""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmreid_instruct.registry import HOOKS


class ModelITMScorer:
    """A model's ``itm_scores`` as an evaluation-time scorer: inputs moved
    to the model's device and floating dtype, no gradients, scores back as
    a CPU float tensor.

    Args:
        model (torch.nn.Module): A model with ``itm_scores(text_tokens,
            text_mask, image_tokens)`` (e.g. ``InstructReID``), unwrapped.

    Example:
        >>> import torch
        >>> class Toy(torch.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.w = torch.nn.Parameter(torch.ones(1))
        ...     def itm_scores(self, text, mask, image):
        ...         return (image.sum((1, 2)) * self.w).half()
        >>> scorer = ModelITMScorer(Toy())
        >>> scorer(torch.zeros(2, 3, 4), torch.ones(2, 3, dtype=torch.bool),
        ...        torch.ones(2, 5, 4, dtype=torch.half))
        tensor([20., 20.])
    """

    def __init__(self, model: torch.nn.Module):
        if not callable(getattr(model, 'itm_scores', None)):
            raise TypeError(
                f'{type(model).__name__} has no itm_scores method: '
                'T2IReRankHook needs a model that scores caption-image '
                'pairs (InstructReID with an ALBEFT2IHead)')
        self.model = model

    def __call__(self, text_tokens: torch.Tensor, text_mask: torch.Tensor,
                 image_tokens: torch.Tensor) -> torch.Tensor:
        param = next(
            (p for p in self.model.parameters() if p.is_floating_point()),
            None)
        device = param.device if param is not None else 'cpu'
        dtype = param.dtype if param is not None else torch.float32
        with torch.no_grad():
            scores = self.model.itm_scores(
                text_tokens.to(device, dtype), text_mask.to(device),
                image_tokens.to(device, dtype))
        return scores.detach().to('cpu', torch.float32)


@HOOKS.register_module()
class T2IReRankHook(Hook):
    """Give the t2i metrics the model's image-text matching scores.

    Before every validation and test epoch, every metric of the epoch's
    evaluator that has a ``set_itm_scorer`` method (e.g.
    :class:`~mmreid_instruct.evaluation.T2IMetric`, which needs it for
    ``rerank``) receives the unwrapped model's ``itm_scores`` (through a
    :class:`ModelITMScorer`). The metrics compute on rank 0 after the
    results are collected, so each caption is re-ranked once under
    distributed testing.

    Example:
        >>> custom_hooks = [dict(type='T2IReRankHook')]
    """

    priority = 'NORMAL'

    def before_val_epoch(self, runner) -> None:
        self._give_scorer(runner, runner.val_loop)

    def before_test_epoch(self, runner) -> None:
        self._give_scorer(runner, runner.test_loop)

    @staticmethod
    def _give_scorer(runner, loop) -> None:
        evaluator = getattr(loop, 'evaluator', None)
        metrics = getattr(evaluator, 'metrics', [])
        takers = [m for m in metrics if hasattr(m, 'set_itm_scorer')]
        if not takers:
            return
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        scorer = ModelITMScorer(model)
        for metric in takers:
            metric.set_itm_scorer(scorer)
