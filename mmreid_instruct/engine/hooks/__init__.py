from .metric_table_hook import MetricTableHook, format_metric_table
from .random_state_hook import RandomStateHook, warn_if_no_random_state_hook

__all__ = [
    'MetricTableHook', 'format_metric_table', 'RandomStateHook',
    'warn_if_no_random_state_hook'
]
