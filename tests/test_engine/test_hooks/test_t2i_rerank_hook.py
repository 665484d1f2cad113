import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from script_loader import load_script
from torch.utils.data import Dataset

from mmreid_instruct.engine.hooks import ModelITMScorer, T2IReRankHook
from mmreid_instruct.evaluation.metrics.reid_metric import ReIDMetric
from mmreid_instruct.evaluation.metrics.t2i_metric import T2IMetric
from mmreid_instruct.registry import HOOKS

# The toy text-to-image set of the metric tests.
_TOY = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
    'test_evaluation', 'test_metrics', 't2i_toy.py')
t2i_toy = load_script(_TOY)


class ToyModel(BaseModel):
    """Predicts the toy set's features and tokens; ``itm_scores`` is the
    toy scorer, recording the dtype and gradient mode it runs under."""

    def __init__(self, samples=None):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
        self.samples = samples
        self.scorer = t2i_toy.ToyScorer()
        self.grad_enabled = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return [self.samples[int(i)] for i in inputs]

    def itm_scores(self, text_tokens, text_mask, image_tokens):
        self.grad_enabled.append(torch.is_grad_enabled())
        return self.scorer(text_tokens, text_mask, image_tokens) * self.weight


def fake_runner(model, val_metrics=(), test_metrics=()):
    return SimpleNamespace(
        model=model,
        val_loop=SimpleNamespace(
            evaluator=SimpleNamespace(metrics=list(val_metrics))),
        test_loop=SimpleNamespace(
            evaluator=SimpleNamespace(metrics=list(test_metrics))))


def test_registered():
    assert isinstance(HOOKS.build(dict(type='T2IReRankHook')), T2IReRankHook)


@pytest.mark.parametrize('stage', ['val', 'test'])
def test_hook_gives_the_unwrapped_models_scorer(stage):
    model = ToyModel()
    t2i, other = T2IMetric(rerank=dict(topk=2)), ReIDMetric()
    runner = fake_runner(
        torch.nn.DataParallel(model), **{f'{stage}_metrics': [t2i, other]})
    getattr(T2IReRankHook(), f'before_{stage}_epoch')(runner)
    assert isinstance(t2i.itm_scorer, ModelITMScorer)
    assert t2i.itm_scorer.model is model
    assert not hasattr(other, 'itm_scorer')
    # The scorer runs the model's itm_scores in the model's dtype, without
    # gradients, and returns CPU float32 scores.
    text = torch.ones(2, 3, 4, dtype=torch.float16)
    scores = t2i.itm_scorer(text, torch.ones(2, 3, dtype=torch.bool),
                            torch.ones(2, 5, 4, dtype=torch.float16))
    assert model.scorer.calls[0][0].dtype == torch.float64
    assert model.grad_enabled == [False]
    assert scores.dtype == torch.float32 and scores.tolist() == [8., 8.]


def test_a_model_without_itm_scores_is_refused():
    runner = fake_runner(torch.nn.Linear(1, 1), test_metrics=[T2IMetric()])
    with pytest.raises(TypeError, match='Linear has no itm_scores'):
        T2IReRankHook().before_test_epoch(runner)
    # Nothing to give: nothing asked of the model.
    T2IReRankHook().before_test_epoch(
        fake_runner(torch.nn.Linear(1, 1), test_metrics=[ReIDMetric()]))


class ToyDataset(Dataset):

    def __len__(self):
        return t2i_toy.NUM_CAPTIONS + t2i_toy.NUM_IMAGES

    def __getitem__(self, idx):
        return dict(inputs=torch.tensor(idx), data_samples=idx)


def test_runner_test_reranks_with_the_hook(tmp_path):
    samples = t2i_toy.toy_samples()
    model = ToyModel(samples)
    metric = T2IMetric(topk=(1, 5), rerank=dict(topk=4, batch_size=3))
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        test_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=4,
            num_workers=0),
        test_cfg=dict(),
        test_evaluator=[metric],
        custom_hooks=[dict(type='T2IReRankHook')],
        default_scope='mmreid_instruct',
        log_level='WARNING')
    res = runner.test()
    arrays = t2i_toy.toy_arrays()
    scores = t2i_toy.all_pair_scores(arrays, t2i_toy.ToyScorer())
    expected = t2i_toy.reference_metrics(
        arrays, t2i_toy.reference_orders(arrays, scores, 4), (1, 5))
    assert res == pytest.approx(expected)
    assert model.scorer.num_pairs == t2i_toy.NUM_CAPTIONS * 4
