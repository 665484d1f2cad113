"""Text-to-image ReID protocol (CUHK-PEDES, ICFG-PEDES, RSTPReid)."""
from mmreid_instruct.registry import METRICS
from .reid_metric import ReIDMetric


@METRICS.register_module()
class T2IMetric(ReIDMetric):
    """Text-to-image retrieval: every caption against every test image.

    The queries are the captions (samples of subset ``'query'``, with no
    image), the gallery the test images. Distances are cosine, there is no
    camera filtering and no junk: every image of the caption's person is a
    true match. Keys are ``t2i/R1``, ``t2i/R5``, ``t2i/R10``, ``t2i/mAP``,
    ``t2i/mINP`` (see :class:`ReIDMetric` for prefixes).

    Args:
        metric (str): Defaults to ``'cosine'``.
        **kwargs: Other :class:`ReIDMetric` arguments; a ``protocol`` dict
            is merged over ``dict(use_camera=False, junk_pids=())``.

    Example:
        >>> metric = T2IMetric(rank_list=dict(out_file='t2i_ranks.json'))
        >>> metric.protocol.use_camera, metric.protocol.junk_pids
        (False, ())
    """
    default_protocol = dict(use_camera=False, junk_pids=())

    def __init__(self, metric: str = 'cosine', **kwargs) -> None:
        super().__init__(metric=metric, **kwargs)
