"""Test-only Phase-2 backend: the text-layer backend that kills its own worker on chosen stems.

Selected with math_engine='crash' and `crash_stems`; it exists so that the tests can exercise
respawns, the respawn cap, the fatal skip-list and quarantine with real worker deaths (SIGKILL,
as an out-of-memory kill or a segfault in a CUDA kernel would). The kill comes after the stem's
latex_map is written and before its markdown: the worst moment, leaving a partial result that
must not be taken for a finished one.
"""
from __future__ import annotations

import logging
import os
import signal
import time


class CrashingMath:
    name = "crash"

    def __init__(self, stems: frozenset | set | list = (), delay: float = 0.0, log: logging.Logger | None = None):
        self.stems = frozenset(stems)
        self.delay = float(delay)
        self.log = log or logging.getLogger(__name__)

    def before(self, stem: str) -> None:
        """Called when a document starts: a delay makes a run long enough to be interrupted."""
        if self.delay:
            time.sleep(self.delay)

    def after_latex_map(self, stem: str) -> None:
        if stem in self.stems:
            self.log.warning("crash backend: killing worker pid %d on %s", os.getpid(), stem)
            for handler in self.log.handlers:
                handler.flush()
            os.kill(os.getpid(), signal.SIGKILL)
