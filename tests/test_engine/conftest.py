import logging

import pytest
from mmengine.logging import print_log

from mmreid_instruct.engine.hooks import random_state_hook


@pytest.fixture
def random_state_warnings(monkeypatch):
    """The warnings that :mod:`random_state_hook` logs during a test (they
    are logged as usual too)."""
    warnings = []

    def recording_print_log(msg, logger=None, level=logging.INFO):
        print_log(msg, logger=logger, level=level)
        if level >= logging.WARNING:
            warnings.append(msg)

    monkeypatch.setattr(random_state_hook, 'print_log', recording_print_log)
    return warnings
