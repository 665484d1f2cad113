"""Evaluation metrics of every benchmark protocol."""
from .reid_metric import ReIDMetric
from .single_gallery_shot_metric import SingleGalleryShotMetric
from .t2i_metric import T2IMetric
from .task_free_metric import TaskFreeReIDMetric
from .utils import RankListDump
from .vi_reid_metric import VIReIDMetric

__all__ = [
    'ReIDMetric', 'SingleGalleryShotMetric', 'T2IMetric', 'VIReIDMetric',
    'TaskFreeReIDMetric', 'RankListDump'
]
