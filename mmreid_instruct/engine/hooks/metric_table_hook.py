from collections import OrderedDict
from typing import Dict, Optional

from mmengine.hooks import Hook

from mmreid_instruct.registry import HOOKS


def format_metric_table(metrics: Dict[str, float]) -> str:
    """Lay out ``<test set>/<metric>`` keys as a table.

    Rows are test sets (everything before the last ``/``), columns are
    metrics (the last part), in order of first appearance. Keys without a
    ``/`` form a row named ``-``; non-numeric values are left out.

    Args:
        metrics (dict): Metric values, e.g. ``{'trad/R1': 83.1, ...}``.

    Returns:
        str: The table, one line per test set plus a header.

    Example:
        >>> print(format_metric_table({'trad/R1': 83.1, 'trad/mAP': 61.2}))
        test set |    R1 |   mAP
        -------- | ----- | -----
        trad     | 83.10 | 61.20
    """
    rows: 'OrderedDict[str, Dict[str, float]]' = OrderedDict()
    columns = []
    for key, value in metrics.items():
        if not isinstance(value, (int, float)):
            continue
        row, _, column = key.rpartition('/')
        rows.setdefault(row or '-', {})[column] = value
        if column not in columns:
            columns.append(column)
    if not rows:
        return ''
    header = ['test set'] + columns
    lines = [header]
    for row, values in rows.items():
        lines.append(
            [row] +
            [f'{values[c]:.2f}' if c in values else '' for c in columns])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def render(cells):
        first = cells[0].ljust(widths[0])
        rest = [
            cell.rjust(width) for cell, width in zip(cells[1:], widths[1:])
        ]
        return ' | '.join([first] + rest)

    rule = ' | '.join('-' * w for w in widths)
    return '\n'.join([render(lines[0]), rule] + [render(r) for r in lines[1:]])


@HOOKS.register_module()
class MetricTableHook(Hook):
    """Log the metrics of every validation and test run as a table.

    Example:
        >>> custom_hooks = [dict(type='MetricTableHook')]
    """

    priority = 'VERY_LOW'

    def _log(self, runner, metrics: Optional[Dict[str, float]]) -> None:
        table = format_metric_table(metrics or {})
        if table:
            runner.logger.info('\n' + table)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._log(runner, metrics)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._log(runner, metrics)
