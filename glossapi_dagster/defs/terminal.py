"""What the terminal shows of an in-process run (no Dagster import: the CLI reads it at start-up).

Dagster's console logger shows warnings and errors; every event (DEBUG included) is still in the
instance's event log, in the run's page of the UI. The terminal is for the progress bars."""
from __future__ import annotations

from contextlib import contextmanager

TERMINAL_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING", "failures": True}}}}


@contextmanager
def failures_left_to_the_log():
    """A failed run's stack traces (defs/console.py) off the terminal while in the block: the CLI
    prints a failure as one line; the traceback stays in the run's event log."""
    config = TERMINAL_LOGS["loggers"]["console"]["config"]
    config["failures"] = False
    try:
        yield
    finally:
        config["failures"] = True
