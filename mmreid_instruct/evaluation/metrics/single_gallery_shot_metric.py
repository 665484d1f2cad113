"""The CUHK03 classic (single-gallery-shot) protocol."""
from typing import Dict, Sequence, Union

from mmreid_instruct.registry import METRICS
from ..functional.distance import check_metric, l2_normalize
from ..functional.rank_protocol import RankProtocol
from ..functional.single_shot import evaluate_single_gallery_shot_from_features
from ..functional.utils import check_positive_int
from .reid_metric import ReIDMetric
from .utils import (build_protocol, check_topk, make_part, percent_results,
                    rank_parts)

#: Protocol options the single-shot CMC does not support.
UNSUPPORTED_OPTIONS = ('clothes_mode', 'match_clothes', 'ap_topk')


def single_shot_result(query: dict, gallery: dict, metric: str,
                       protocol: RankProtocol, num_repeats: int) -> dict:
    """The result of :func:`~.utils.rank_parts` (mAP and mINP over the
    whole gallery) with the single-gallery-shot CMC of two stacked parts.

    Args:
        query (dict): Stacked query part (see :func:`~.utils.stack_part`).
        gallery (dict): Stacked gallery part.
        metric (str): ``'euclidean'`` or ``'cosine'``.
        protocol (RankProtocol): The protocol (no clothes options).
        num_repeats (int): Number of single-shot draws.

    Returns:
        dict: ``cmc``, ``mAP``, ``mINP``, ``num_valid_queries``.
    """
    res = rank_parts(query, gallery, metric, protocol)
    res['cmc'] = evaluate_single_gallery_shot_from_features(
        query['feats'],
        gallery['feats'],
        query['pids'],
        gallery['pids'],
        query['camids'],
        gallery['camids'],
        metric=metric,
        protocol=protocol,
        num_repeats=num_repeats)['cmc']
    return res


@METRICS.register_module()
class SingleGalleryShotMetric(ReIDMetric):
    """CUHK03 classic protocol: CMC over single-shot galleries.

    For every query, one random gallery image per identity is kept (after
    junk removal) and the CMC is averaged over ``num_repeats`` seeded draws
    (see :func:`~mmreid_instruct.evaluation.evaluate_single_gallery_shot`);
    mAP and mINP use the whole gallery. Keys are those of
    :class:`ReIDMetric`.

    Args:
        num_repeats (int): Number of draws (seeds ``0..num_repeats-1``).
            Defaults to 10.
        **kwargs: :class:`ReIDMetric` arguments; the protocol's clothes
            options and ``ap_topk`` are not supported.

    Example:
        >>> import numpy as np
        >>> res = SingleGalleryShotMetric.calculate(
        ...     np.zeros((1, 2)), np.ones((2, 2)), [1], [1, 2], [0], [1, 1],
        ...     topk=(1, 5), num_repeats=10)
        >>> res['R1'], res['mAP']
        (100.0, 100.0)
    """

    def __init__(self, num_repeats: int = 10, **kwargs) -> None:
        super().__init__(**kwargs)
        self.protocol.reject(UNSUPPORTED_OPTIONS, type(self).__name__)
        self.num_repeats = check_positive_int(num_repeats, 'num_repeats')

    @staticmethod
    def calculate(q_feats,
                  g_feats,
                  q_pids,
                  g_pids,
                  q_camids=None,
                  g_camids=None,
                  *,
                  metric: str = 'euclidean',
                  normalize_feature: bool = False,
                  topk: Sequence[int] = (1, 5, 10),
                  protocol: Union[dict, RankProtocol, None] = None,
                  num_repeats: int = 10) -> Dict[str, float]:
        """Evaluate features directly, outside the runner.

        Args:
            q_feats, g_feats (np.ndarray | torch.Tensor): ``(Q, C)`` and
                ``(G, C)`` features.
            q_pids, g_pids (array-like): Person ids.
            q_camids, g_camids (array-like, optional): Camera ids (needed
                unless the protocol has ``use_camera=False``).
            metric (str): ``'euclidean'`` or ``'cosine'``. Defaults to
                ``'euclidean'``.
            normalize_feature (bool): L2-normalise the features first.
                Defaults to False.
            topk (Sequence[int]): CMC ranks reported. Defaults to
                (1, 5, 10).
            protocol (dict | RankProtocol, optional): The protocol, without
                clothes options or ``ap_topk``. Defaults to None.
            num_repeats (int): Number of single-shot draws. Defaults to 10.

        Returns:
            dict: ``R<k>`` for ``k`` in ``topk``, ``mAP``, ``mINP`` (in
            percent) and ``num_valid_queries``.
        """
        protocol = build_protocol(protocol, {})
        protocol.reject(UNSUPPORTED_OPTIONS, 'SingleGalleryShotMetric')
        topk = check_topk(topk, protocol.max_rank)
        if normalize_feature:
            q_feats, g_feats = l2_normalize(q_feats), l2_normalize(g_feats)
        res = single_shot_result(
            make_part(q_feats, q_pids, q_camids),
            make_part(g_feats, g_pids, g_camids), check_metric(metric),
            protocol, check_positive_int(num_repeats, 'num_repeats'))
        out = percent_results(res, topk)
        out['num_valid_queries'] = res['num_valid_queries']
        return out

    def _evaluate(self, q: dict, g: dict, protocol: RankProtocol) -> dict:
        """:class:`ReIDMetric`'s result with the single-shot CMC."""
        return single_shot_result(q, g, self.metric, protocol,
                                  self.num_repeats)
