"""T2IMetric with the ITM re-rank, against a brute force that scores every
(caption, image) pair of a tiny gallery."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from mmreid_instruct.evaluation.metrics.reid_metric import ReIDMetric
from mmreid_instruct.evaluation.metrics.t2i_metric import T2IMetric
from mmreid_instruct.registry import METRICS
from .t2i_toy import (NUM_CAPTIONS, NUM_IMAGES, ToyScorer, all_pair_scores,
                      reference_metrics, reference_orders, toy_arrays,
                      toy_samples)

TOPK = (1, 5)


def evaluate(metric, samples, batch=4):
    for i in range(0, len(samples), batch):
        metric.process(None, samples[i:i + batch])
    return metric.evaluate(len(samples))


def reranked(topk, batch_size=256, scorer=None, **kwargs):
    metric = T2IMetric(
        topk=TOPK, rerank=dict(topk=topk, batch_size=batch_size), **kwargs)
    metric.set_itm_scorer(scorer or ToyScorer())
    return evaluate(metric, toy_samples())


@pytest.fixture(scope='module')
def brute_force():
    """Scores of every pair and the reference numbers for a given k."""
    arrays = toy_arrays()
    scores = all_pair_scores(arrays, ToyScorer())

    def numbers(k):
        return reference_metrics(arrays, reference_orders(arrays, scores, k),
                                 TOPK)

    return arrays, scores, numbers


def test_toy_set_is_not_trivial(brute_force):
    arrays, scores, numbers = brute_force
    # Integer scores tie, and the ITM order differs from the cosine one.
    assert len(np.unique(scores[0])) < NUM_IMAGES
    assert numbers(NUM_IMAGES) != pytest.approx(numbers(0))
    assert numbers(4) != pytest.approx(numbers(NUM_IMAGES))


@pytest.mark.parametrize('topk', [NUM_IMAGES, NUM_IMAGES + 1, 1000])
def test_whole_gallery_equals_brute_force_over_all_pairs(brute_force, topk):
    # topk at or above the gallery size: the whole gallery by ITM score.
    assert reranked(topk) == pytest.approx(brute_force[2](NUM_IMAGES))


@pytest.mark.parametrize('topk', [1, 2, 4, 7, 12])
def test_topk_equals_restricted_brute_force(brute_force, topk):
    assert reranked(topk) == pytest.approx(brute_force[2](topk))


def test_rerank_none_keeps_the_cosine_numbers_and_no_tokens():
    samples = toy_samples()
    expected = evaluate(
        ReIDMetric(
            metric='cosine',
            topk=TOPK,
            protocol=dict(use_camera=False, junk_pids=())), toy_samples())
    metric = T2IMetric(topk=TOPK)
    metric.process(None, samples)
    assert all('tokens' not in r for r in metric.results)
    assert metric.evaluate(len(samples)) == pytest.approx(expected)
    assert T2IMetric(rerank=None, topk=TOPK).rerank is None
    # They are those of the reference's plain cosine ranking (k = 0).
    arrays = toy_arrays()
    cosine = reference_metrics(
        arrays,
        reference_orders(arrays, np.zeros((NUM_CAPTIONS, NUM_IMAGES)), 0),
        TOPK)
    assert expected == pytest.approx(cosine)


@pytest.mark.parametrize('batch_size', [1, 7, 1000])
def test_batching_does_not_change_the_result(brute_force, batch_size):
    topk = 12
    scorer = ToyScorer()
    assert reranked(topk, batch_size,
                    scorer) == pytest.approx(brute_force[2](topk))
    # Every caption's top k scored once, in calls of at most batch_size
    # pairs of one caption (its tokens repeated).
    assert scorer.num_pairs == NUM_CAPTIONS * topk
    assert len(scorer.calls) == NUM_CAPTIONS * -(-topk // batch_size)
    for text, mask, image in scorer.calls:
        assert len(text) <= batch_size
        assert len(mask) == len(image) == len(text)
        assert (text == text[:1]).all() and (mask == mask[:1]).all()
        assert image.shape[1:] == (3, 4)


def test_no_scorer_names_the_hook():
    metric = T2IMetric(rerank=dict(topk=3))
    with pytest.raises(RuntimeError, match='T2IReRankHook'):
        metric.process(None, toy_samples())
    with pytest.raises(RuntimeError, match='set_itm_scorer'):
        metric.compute_metrics([])
    with pytest.raises(TypeError, match='callable'):
        metric.set_itm_scorer('itm_scores')


def test_samples_without_tokens_are_refused():
    metric = T2IMetric(rerank=dict(topk=3))
    metric.set_itm_scorer(ToyScorer())
    with pytest.raises(KeyError, match='pred_tokens.*keep_tokens=True'):
        metric.process(None, toy_samples(with_tokens=False))
    caption = toy_samples()[0]
    del caption['pred_token_mask']
    with pytest.raises(KeyError, match='pred_token_mask'):
        metric.process(None, [caption])


def test_rerank_options_are_checked():
    assert METRICS.build(dict(type='T2IMetric', rerank=dict())).rerank == \
        dict(topk=128, batch_size=256)
    with pytest.raises(TypeError, match="unknown keys \\['k'\\]"):
        T2IMetric(rerank=dict(k=3))
    with pytest.raises(ValueError, match='rerank batch_size'):
        T2IMetric(rerank=dict(batch_size=0))
    with pytest.raises(TypeError, match='must be None or a dict'):
        T2IMetric(rerank=128)
    # Features given directly carry no tokens.
    with pytest.raises(ValueError, match='itm_rerank_rows'):
        T2IMetric.calculate(
            np.eye(2), np.eye(2), [0, 1], [0, 1], rerank=dict(topk=1))


def test_a_bad_scorer_output_is_named():

    def wrong_shape(text, mask, image):
        return torch.zeros(len(text), 2)

    with pytest.raises(ValueError, match='returned shape .* expected'):
        reranked(3, scorer=wrong_shape)

    def nan(text, mask, image):
        return torch.full((len(text), ), float('nan'))

    with pytest.raises(ValueError, match='ITM scores contains NaN'):
        reranked(3, scorer=nan)


def test_scorer_is_called_once_per_pair_with_a_rank_list(tmp_path):
    # The rank list follows the re-ranked order; the numbers and the list
    # share one scoring pass.
    out_file = str(tmp_path / 'ranks.json')
    scorer = ToyScorer()
    reranked(4, scorer=scorer, rank_list=dict(out_file=out_file, topk=6))
    assert scorer.num_pairs == NUM_CAPTIONS * 4
    arrays = toy_arrays()
    orders = reference_orders(arrays, all_pair_scores(arrays, ToyScorer()), 4)
    entry = json.load(open(out_file))['sets'][0]
    assert entry['indices'] == [order[:6] for order in orders]
    # Re-ranked items are listed first, below every cosine distance.
    dists = np.array(entry['distances'])
    assert (dists[:, :4] < 0).all() and (dists[:, 4:] >= 0).all()


@pytest.mark.slow
@pytest.mark.skipif(
    not torch.distributed.is_available(), reason='no torch.distributed')
def test_two_ranks_rerank_every_caption_once(run_two_ranks):
    worker = osp.join(osp.dirname(__file__), 't2i_rerank_dist_worker.py')
    out = run_two_ranks(worker)
    num_samples = NUM_CAPTIONS + NUM_IMAGES
    # The sampler padded the last rank (19 samples over 2 ranks).
    assert sorted(out[0]['indices'] + out[1]['indices']) == \
        sorted(list(range(num_samples)) + [0])
    # Rank 0 saw every sample once, in dataset order, and scored every
    # caption's top 4 once; rank 1 scored nothing.
    assert out[0]['seen'] == \
        [['query', i] for i in range(NUM_CAPTIONS)] + \
        [['gallery', j] for j in range(NUM_IMAGES)]
    assert out[0]['num_pairs'] == NUM_CAPTIONS * 4
    assert out[1]['num_pairs'] == 0
    # Both ranks report the numbers of one process.
    one_process = reranked(4, 3)
    assert one_process != pytest.approx(reranked(1))
    for res in out:
        assert res['metrics'] == pytest.approx(one_process)
