"""The controller side of a phase: run a Task on the pool and record every outcome in the store.

Only this (the controller) writes state: each reported batch becomes one journal file.
"""
from __future__ import annotations

from typing import Callable

from ..pool import FATAL, ItemOutcome, PoolConfig, PoolReport, Summary, WorkerPool
from ..state import ProgressStore, SkipList


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
        store.upsert([to_row(stem_of[o.item], o) for o in outcomes])
        skiplist.add(stem_of[o.item] for o in outcomes if o.status == FATAL)
        store.maybe_compact()

    pool = WorkerPool(task, config, on_batch=persist, on_summary=on_summary)
    if on_pool:
        on_pool(pool)  # e.g. a Dagster resource that kills the workers at teardown
    try:
        return pool.run(list(stem_of))
    finally:
        store.compact()
