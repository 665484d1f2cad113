from unittest import mock

from mmreid_instruct.engine.hooks import MetricTableHook, format_metric_table


def test_rows_are_test_sets_and_columns_metrics():
    table = format_metric_table({
        'synth/trad/R1': 83.125,
        'synth/trad/mAP': 61.2,
        'synth/cc/R1': 40.0,
        'synth/cc/mAP': 22.25,
        'note': 'text'
    })
    lines = table.splitlines()
    assert lines[0].split() == ['test', 'set', '|', 'R1', '|', 'mAP']
    assert lines[2].split() == ['synth/trad', '|', '83.12', '|', '61.20']
    assert lines[3].split() == ['synth/cc', '|', '40.00', '|', '22.25']
    assert len(lines) == 4


def test_missing_cells_stay_empty_and_empty_input_gives_nothing():
    table = format_metric_table({'a/R1': 1.0, 'b/mAP': 2.0})
    assert table.splitlines()[2].split() == ['a', '|', '1.00', '|']
    assert format_metric_table({}) == ''


def test_hook_logs_the_table():
    runner = mock.MagicMock()
    MetricTableHook().after_test_epoch(runner, {'trad/mAP': 50.0})
    logged = runner.logger.info.call_args[0][0]
    assert 'trad' in logged and '50.00' in logged
