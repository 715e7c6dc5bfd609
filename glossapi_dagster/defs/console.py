"""The terminal's logger of an in-process run: Dagster's colored console logger, which can leave
out the run's failure events. The CLI prints a failure as one line of its own; the event, with its
60 to 120 lines of stack trace, stays in the run's event log (the UI, `dagster` CLI)."""
from __future__ import annotations

import logging

from dagster import DagsterEventType, Field, logger
from dagster._loggers import colored_console_logger

FAILURE_EVENTS = frozenset({DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE})


class _NoFailures(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        return getattr(event, "event_type", None) not in FAILURE_EVENTS


@logger({"log_level": Field(str, is_required=False, default_value="INFO"),
         "name": Field(str, is_required=False, default_value="dagster"),
         "failures": Field(bool, is_required=False, default_value=True,
                           description="Print the run's failure events (stack traces)")},
        description="Dagster's colored console logger; failures: False leaves the failure events to the event log.")
def console_logger(init_context) -> logging.Logger:
    config = init_context.logger_config
    log = colored_console_logger.logger_fn(init_context)
    if not config["failures"]:
        for handler in log.handlers:
            handler.addFilter(_NoFailures())
    return log
