from .metric_table_hook import MetricTableHook, format_metric_table
from .non_finite_loss_hook import NonFiniteLossHook
from .random_state_hook import RandomStateHook, warn_if_no_random_state_hook
from .reid_checkpoint_hook import ReIDCheckpointHook
from .t2i_rerank_hook import ModelITMScorer, T2IReRankHook

__all__ = [
    'MetricTableHook', 'format_metric_table', 'NonFiniteLossHook',
    'RandomStateHook', 'ReIDCheckpointHook', 'warn_if_no_random_state_hook',
    'T2IReRankHook', 'ModelITMScorer'
]
