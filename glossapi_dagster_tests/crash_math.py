"""Test-only Phase-2 engine: the text-layer backend that kills its own worker on chosen stems.

The tests register it (`use_crash_engine(stems, delay)`, then math_engine='crash') through the
product's registry; it is no choice a user sees. It exists so that the tests can exercise
respawns, the respawn cap, the fatal skip-list and quarantine with real worker deaths (SIGKILL,
as an out-of-memory kill or a segfault in a CUDA kernel would). The kill comes after the stem's
latex_map is written and before its markdown: the worst moment, leaving a partial result that
must not be taken for a finished one.

A long document's page ranges get the hooks too, with the range: before(stem, pages=(first, last))
and after_latex_map(stem, pages=...) once the range's part is written. Poison pages
(`poison_pages`) make before() raise for any range that holds one: a page the engine cannot do,
for the bisection of Phase 2's ranges; kill pages (`kill_pages`) kill the worker of a range that
holds one. A whole document, whose pages the hooks are not told, is left alone by both.
"""
from __future__ import annotations

import logging
import os
import signal
import time
from functools import partial

from glossapi_dagster.datamodel import register_math_engine

NAME = "crash"


def use_crash_engine(stems=(), delay: float = 0.0, poison_pages=(), kill_pages=()) -> str:
    """Register the crash engine for these stems, delay, poison pages and kill pages (in this
    process; the workers receive the factory inside the pickled Task) and return the math_engine
    name that selects it."""
    register_math_engine(NAME, partial(CrashingMath, frozenset(stems), float(delay), frozenset(poison_pages),
                                       frozenset(kill_pages)))
    return NAME


class CrashingMath:
    name = "crash"

    def __init__(self, stems: frozenset | set | list = (), delay: float = 0.0, poison_pages=frozenset(),
                 kill_pages=frozenset(), log: logging.Logger | None = None):
        self.stems = frozenset(stems)
        self.delay = float(delay)
        self.poison_pages = frozenset(poison_pages)
        self.kill_pages = frozenset(kill_pages)
        self.log = log or logging.getLogger(__name__)

    def before(self, stem: str, pages: tuple[int, int] | None = None) -> None:
        """Called when a document (or a range of its pages) starts: a delay makes a run long enough
        to be interrupted."""
        if self.delay:
            time.sleep(self.delay)
        held = self.poison_pages & set(range(pages[0], pages[1] + 1)) if pages else set()
        if held:
            raise RuntimeError(f"poison page {min(held)}")

    def after_latex_map(self, stem: str, pages: tuple[int, int] | None = None) -> None:
        if stem in self.stems or (pages and self.kill_pages & set(range(pages[0], pages[1] + 1))):
            self.log.warning("crash backend: killing worker pid %d on %s", os.getpid(), stem)
            for handler in self.log.handlers:
                handler.flush()
            os.kill(os.getpid(), signal.SIGKILL)
