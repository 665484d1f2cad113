"""Text-to-image ReID protocol (CUHK-PEDES, ICFG-PEDES, RSTPReid)."""
from typing import Sequence

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
        use_camera (bool): Defaults to False.
        junk_pids (Sequence[int]): Defaults to ``()``.
        **kwargs: Other :class:`ReIDMetric` arguments.

    Example:
        >>> metric = T2IMetric(rank_list_file='work_dirs/t2i_ranks.json')
    """

    def __init__(self,
                 metric: str = 'cosine',
                 use_camera: bool = False,
                 junk_pids: Sequence[int] = (),
                 **kwargs) -> None:
        super().__init__(
            metric=metric,
            use_camera=use_camera,
            junk_pids=junk_pids,
            **kwargs)
