"""The controller side of a phase: run a Task on the pool and record every outcome in the store.

Only this (the controller) writes state: each reported batch becomes one journal file.
"""
from __future__ import annotations

from typing import Callable

from ..pool import FATAL, ItemOutcome, PoolConfig, PoolReport, Summary, WorkerPool
from ..state import ProgressStore, SkipList
from ..state.errors import OutputUnavailable, is_resource_error


def run_on_pool(
    task,
    stem_of: dict,
    config: PoolConfig,
    store: ProgressStore,
    skiplist: SkipList,
    to_row: Callable[[str, ItemOutcome], dict],
    on_summary: Callable[[Summary], None] | None = None,
    on_pool: Callable[[WorkerPool], None] | None = None,
) -> PoolReport:
    """`stem_of` maps each work item (an absolute path, or a stem) to its store key."""

    def persist(outcomes: list[ItemOutcome]) -> None:
        try:
            rows = [(o, to_row(stem_of[o.item], o)) for o in outcomes]  # None: no row yet (a page range)
            store.upsert([row for _, row in rows if row is not None])
            skiplist.add(stem_of[o.item] for o, row in rows if o.status == FATAL and row is not None)
            store.maybe_compact()
        except OSError as exc:  # a full or read-only OUT: these outcomes are redone next run
            if is_resource_error(exc):
                raise OutputUnavailable.of(store.folder.parent, exc) from exc
            raise

    pool = WorkerPool(task, config, on_batch=persist, on_summary=on_summary)
    if on_pool:
        on_pool(pool)  # e.g. a Dagster resource that kills the workers at teardown
    try:
        report = pool.run(list(stem_of))
    except BaseException:
        try:
            store.compact()
        except OSError:
            pass  # the journal stays readable; the error that stopped the run is the one to tell
        raise
    try:
        store.compact()
    except OSError as exc:
        if is_resource_error(exc):
            raise OutputUnavailable.of(store.folder.parent, exc) from exc
        raise
    return report
