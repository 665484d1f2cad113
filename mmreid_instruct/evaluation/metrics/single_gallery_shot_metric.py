"""The CUHK03 classic (single-gallery-shot) protocol."""
from typing import Optional

from mmreid_instruct.registry import METRICS
from ..functional.rank_protocol import RankProtocol
from ..functional.single_shot import evaluate_single_gallery_shot_from_features
from ..functional.utils import check_positive_int
from .reid_metric import ReIDMetric

#: Protocol options the single-shot CMC does not support.
UNSUPPORTED_OPTIONS = ('clothes_mode', 'match_clothes', 'ap_topk', 'ties')


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

    def _evaluate(self,
                  q: dict,
                  g: dict,
                  protocol: RankProtocol,
                  name: Optional[str] = None) -> dict:
        """:class:`ReIDMetric`'s result with the single-shot CMC."""
        res = super()._evaluate(q, g, protocol, name)
        res['cmc'] = evaluate_single_gallery_shot_from_features(
            q['feats'],
            g['feats'],
            q['pids'],
            g['pids'],
            q['camids'],
            g['camids'],
            metric=self.metric,
            protocol=protocol,
            num_repeats=self.num_repeats)['cmc']
        return res
