"""Text-to-image ReID protocol (CUHK-PEDES, ICFG-PEDES, RSTPReid)."""
from typing import Callable, Dict, List, Optional

from mmengine.logging import print_log

from mmreid_instruct.registry import METRICS
from ..functional.itm_rerank import ReRankedRows, itm_rerank_rows
from ..functional.rank import evaluate_source
from ..functional.rank_protocol import MatchRules, RankProtocol
from ..functional.utils import check_positive_int
from .reid_metric import ReIDMetric
from .utils import sample_to_result

#: Options of ``T2IMetric(rerank=...)`` and their defaults.
RERANK_DEFAULTS = dict(topk=128, batch_size=256)


def _rerank_options(rerank: Optional[dict]) -> Optional[dict]:
    """The ``rerank`` argument with its defaults filled in, checked."""
    if rerank is None:
        return None
    if not isinstance(rerank, dict):
        raise TypeError('T2IMetric rerank must be None or a dict like '
                        f'{RERANK_DEFAULTS}, got {rerank!r}')
    unknown = sorted(set(rerank) - set(RERANK_DEFAULTS))
    if unknown:
        raise TypeError(f'T2IMetric rerank has unknown keys {unknown}; '
                        f'expected some of {sorted(RERANK_DEFAULTS)}')
    options = dict(RERANK_DEFAULTS, **rerank)
    return {
        key: check_positive_int(value, f'T2IMetric rerank {key}')
        for key, value in options.items()
    }


@METRICS.register_module()
class T2IMetric(ReIDMetric):
    """Text-to-image retrieval: every caption against every test image.

    The queries are the captions (samples of subset ``'query'``, with no
    image), the gallery the test images. Distances are cosine, there is no
    camera filtering and no junk: every image of the caption's person is a
    true match. Keys are ``t2i/R1``, ``t2i/R5``, ``t2i/R10``, ``t2i/mAP``,
    ``t2i/mINP`` (see :class:`ReIDMetric` for prefixes).

    With ``rerank``, every caption's ``topk`` closest images (ties by
    gallery index) are re-scored by image-text matching, as the official
    Instruct-ReID evaluator does: the caption's ranking is these images by
    decreasing ITM score (equal scores by gallery index), then every other
    image by distance. The scores come from a scorer set with
    :meth:`set_itm_scorer`; in a runner, ``custom_hooks=[dict(
    type='T2IReRankHook')]`` sets the model's ``itm_scores``. The samples
    must carry ``pred_tokens`` (and, for the captions,
    ``pred_token_mask``), which ``ALBEFT2IHead(keep_tokens=True)`` stores;
    they are kept only when re-ranking. A rank list (``rank_list``) then
    follows the re-ranked order; the distances listed for the re-ranked
    images are their places among them, shifted below every distance
    (see :func:`~mmreid_instruct.evaluation.functional.itm_rerank.
    reranked_distances`).

    Args:
        metric (str): Defaults to ``'cosine'``.
        rerank (dict, optional): ``dict(topk=128, batch_size=256)``: the
            images re-scored per caption (all of them when the gallery is
            smaller) and the pairs per scorer call; missing keys take these
            defaults. Defaults to None (no re-rank).
        **kwargs: Other :class:`ReIDMetric` arguments; a ``protocol`` dict
            is merged over ``dict(use_camera=False, junk_pids=())``.

    Example:
        >>> metric = T2IMetric(rank_list=dict(out_file='t2i_ranks.json'))
        >>> metric.protocol.use_camera, metric.protocol.junk_pids
        (False, ())
        >>> T2IMetric(rerank=dict(topk=64)).rerank
        {'topk': 64, 'batch_size': 256}
    """
    default_protocol = dict(use_camera=False, junk_pids=())

    def __init__(self,
                 metric: str = 'cosine',
                 rerank: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(metric=metric, **kwargs)
        self.rerank = _rerank_options(rerank)
        self.itm_scorer: Optional[Callable] = None
        # The re-ranked rows of the search being evaluated (scored once for
        # the numbers and the rank list).
        self._rows_cache = None

    def set_itm_scorer(self, scorer: Optional[Callable]) -> None:
        """Set the function that scores caption-image pairs.

        Args:
            scorer (callable, optional): ``scorer(text_tokens (n, L, C),
                text_mask (n, L), image_tokens (n, N, Ci)) -> (n,)``
                matching scores, higher for a better match (e.g.
                ``InstructReID.itm_scores``); None removes it.
        """
        if scorer is not None and not callable(scorer):
            raise TypeError('the ITM scorer must be callable or None, got '
                            f'{type(scorer).__name__}')
        self.itm_scorer = scorer

    def _check_scorer(self) -> None:
        if self.itm_scorer is None:
            raise RuntimeError(
                f'T2IMetric(rerank={self.rerank}) has no ITM scorer: add '
                "custom_hooks=[dict(type='T2IReRankHook')] to the config "
                "(it gives the metric the model's itm_scores), or call "
                'metric.set_itm_scorer(model.itm_scores) before evaluating')

    def _result(self, sample: dict) -> dict:
        """The sample's result, with its tokens when re-ranking."""
        if self.rerank is None:
            return super()._result(sample)
        self._check_scorer()
        result = sample_to_result(sample, keep_tokens=True)
        needed = ['pred_tokens']
        if result['subset'] == 'query':
            needed.append('pred_token_mask')
        for key in needed:
            if sample.get(key) is None:
                what = result['img_path'] or result['instruction']
                raise KeyError(
                    f'T2IMetric(rerank=...) needs "{key}" in every '
                    f'{result["subset"]} sample; sample '
                    f'{result["sample_idx"]} ({what}) has none: the t2i '
                    'head must store the tokens in predict mode (e.g. '
                    'ALBEFT2IHead(keep_tokens=True))')
        return result

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """:meth:`ReIDMetric.compute_metrics`, with the ITM re-rank when
        ``rerank`` is set."""
        if self.rerank is not None:
            self._check_scorer()
        try:
            return super().compute_metrics(results)
        finally:
            self._rows_cache = None

    def _stack(self, items: List[dict]) -> dict:
        part = super()._stack(items)
        if self.rerank is not None:
            part['tokens'] = [it.get('tokens') for it in items]
            part['token_mask'] = [it.get('token_mask') for it in items]
        return part

    def _evaluate(self,
                  q: dict,
                  g: dict,
                  protocol: RankProtocol,
                  name: Optional[str] = None) -> dict:
        if self.rerank is None:
            return super()._evaluate(q, g, protocol, name)
        rows = self._reranked_rows(q, g, name)
        rules = MatchRules(protocol, rows.shape, q['pids'], g['pids'],
                           q['camids'], g['camids'], q['clothes_ids'],
                           g['clothes_ids'])
        return evaluate_source(rows, rules, name=name)

    def _rank_list_entry(self, search, query, gallery, q, g, protocol):
        if self.rerank is None:
            return super()._rank_list_entry(search, query, gallery, q, g,
                                            protocol)
        return self.rank_list.entry(
            search,
            query,
            gallery,
            q['feats'],
            g['feats'],
            self.metric,
            protocol,
            rows=self._reranked_rows(q, g))

    def _reranked_rows(self,
                       q: dict,
                       g: dict,
                       name: Optional[str] = None) -> ReRankedRows:
        """The re-ranked distances of a search (computed once)."""
        cache = self._rows_cache
        if cache is not None and cache[0] is q and cache[1] is g:
            return cache[2]
        if 'tokens' not in q or 'tokens' not in g:
            raise ValueError('T2IMetric(rerank=...) evaluates collected '
                             'samples, which carry tokens; for features '
                             'given directly, use functional.itm_rerank.'
                             'itm_rerank_rows and evaluate_source')
        self._check_scorer()
        k = min(self.rerank['topk'], len(g['feats']))
        print_log(
            f'{name or "t2i"}: ITM re-rank of the top {k} images of '
            f'{len(q["feats"])} captions',
            logger='current')
        rows = itm_rerank_rows(
            q['feats'],
            g['feats'],
            self.itm_scorer,
            q['tokens'],
            q['token_mask'],
            g['tokens'],
            topk=self.rerank['topk'],
            batch_size=self.rerank['batch_size'],
            metric=self.metric)
        self._rows_cache = (q, g, rows)
        return rows
