from .metric_table_hook import MetricTableHook, format_metric_table

__all__ = ['MetricTableHook', 'format_metric_table']
