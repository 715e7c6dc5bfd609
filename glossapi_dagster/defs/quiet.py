"""Dagster's notes that an API this project uses is beta or preview (e.g. `backfill_policy` on an
asset) are for whoever edits the assets, not for the user of a run: they go to the
`glossapi_dagster.dagster` logger at DEBUG, as Dagster's own DEBUG events go to the event log
and not to the terminal. Every other warning is shown as usual."""
from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager

from dagster import BetaWarning, PreviewWarning

NOTES = (BetaWarning, PreviewWarning)
log = logging.getLogger("glossapi_dagster.dagster")


@contextmanager
def dagster_notes_to_log():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        if issubclass(w.category, NOTES):
            log.debug("%s: %s", w.category.__name__, w.message)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
