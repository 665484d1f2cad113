"""Evaluation metrics of every benchmark protocol."""
from .reid_metric import ReIDMetric
from .t2i_metric import T2IMetric
from .task_free_metric import TaskFreeReIDMetric
from .vi_reid_metric import VIReIDMetric

__all__ = ['ReIDMetric', 'T2IMetric', 'VIReIDMetric', 'TaskFreeReIDMetric']
