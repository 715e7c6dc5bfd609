"""The controller side of a phase: run a Task on the pool (long documents as their page ranges,
phases/long_docs.py) and record every outcome in the store.

Only this (the controller) writes state: the reported outcomes become journal files of the store,
as many as one writer thread can take at a time.
"""
from __future__ import annotations

import dataclasses
import functools
import os
from typing import Callable

from ..pool import FATAL, ItemOutcome, PoolConfig, PoolReport, Summary, WorkerPool
from ..state import ProgressStore, SkipList
from ..state.errors import OutputUnavailable, is_resource_error
from ..state.store_writer import UNSYNCED, StoreWriter
from .ranges import PAGE_TIMEOUT_S, PageRange, range_timeout


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
    """`stem_of` maps each work item (an absolute path, or a stem) to its store key.

    Rows go to the store through a StoreWriter (state/store_writer.py): a group commit, so that a
    stream of short documents is not one journal file each; all are written before this returns."""
    writer = StoreWriter(store, skiplist)

    def persist(outcomes: list[ItemOutcome]) -> None:
        # a document's files the worker left unsynced: synced by the writer before its row
        files = [f for o in outcomes if isinstance(o.result, dict) for f in o.result.pop(UNSYNCED, ())]
        try:
            rows = [(o, to_row(stem_of[o.item], o)) for o in outcomes]  # None: no row yet (a page range)
            writer.put([row for _, row in rows if row is not None],
                       [stem_of[o.item] for o, row in rows if o.status == FATAL and row is not None], files)
        except OSError as exc:  # a full or read-only OUT: what is not written is redone next run
            if is_resource_error(exc):
                raise OutputUnavailable.of(store.folder.parent, exc) from exc
            raise

    pool = WorkerPool(task, config, on_batch=persist, on_summary=on_summary)
    if on_pool:
        on_pool(pool)  # e.g. a Dagster resource that kills the workers at teardown
    try:
        report = pool.run(list(stem_of))
    except BaseException:
        try:  # what finished before the interruption is recorded
            writer.flush()
        except Exception:
            pass  # the error that stopped the run is the one to tell
        writer.close()
        try:
            store.compact()
        except OSError:
            pass  # the journal stays readable; the error that stopped the run is the one to tell
        raise
    try:
        writer.flush()
        writer.close()
        store.compact()
    except OSError as exc:
        if is_resource_error(exc):
            raise OutputUnavailable.of(store.folder.parent, exc) from exc
        raise
    return report


def file_size(row: dict) -> float:
    size = row.get("size")
    if isinstance(size, (int, float)) and size == size:  # not None, not NaN
        return size
    try:
        return os.path.getsize(row["path"])
    except (OSError, KeyError, TypeError):
        return -1


def run_with_ranges(task, rows: list[dict], long, config, store, skiplist, to_row,
                    on_summary=None, on_pool=None, *, whole_only=False, item_of=lambda row: row["path"],
                    per_page: float = PAGE_TIMEOUT_S, size_of=file_size) -> PoolReport:
    """run_on_pool with long documents as their ranges: a range's outcome makes no store row until
    its document is complete; the report holds documents, not ranges. Largest first: one long
    document started last would run alone at the end."""
    stem_of = long.plan(rows, size_of, whole_only, item_of)

    def row_of(stem: str, outcome: ItemOutcome) -> dict | None:
        if isinstance(outcome.item, PageRange):
            outcome = long.on_outcome(stem, outcome)
            if outcome is None:
                return None
        return to_row(stem, outcome)

    if long.completed:  # assembled from what earlier runs finished
        store.upsert([to_row(stem, o) for stem, o in long.completed])
    if not stem_of:
        return PoolReport(outcomes=list(long.outcomes))
    # short documents go to a worker together by their pages (batch_size None); a range goes alone
    config = dataclasses.replace(config, timeout_of=functools.partial(range_timeout, per_page=per_page,
                                                                             startup=config.range_startup),
                                 pages_of=config.pages_of or long.pages.get)

    def track(pool):
        long.pool = pool
        if on_pool:
            on_pool(pool)

    report = run_on_pool(task, stem_of, config, store, skiplist, row_of, on_summary, track)
    report.outcomes = [o for o in report.outcomes if not isinstance(o.item, PageRange)] + long.outcomes
    return report
