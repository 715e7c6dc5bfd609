"""Worker recycling: a worker is replaced after so many items, or once its memory passes a cap.

Long runs of Docling grow a worker's resident memory until the kernel kills it (docling-serve
recycles its workers with --max-requests for the same reason). Recycling happens between items
and is not a crash: it never counts against the respawn cap.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

@dataclass(frozen=True)
class RecyclePolicy:
    """Off unless asked (PoolOptions' max_items_per_worker / max_worker_rss_mb; BENCHMARKS.md "Worker
    RSS over a long run"). The RSS cap suits memory that grows; the item count, steady known growth."""

    max_items: int | None = None     # items one worker process takes before it is replaced
    max_rss_mb: float | None = None  # resident memory (MB) past which it is replaced


def recycle_reason(policy: RecyclePolicy, items_done: int, rss_mb: float) -> str | None:
    """Why the worker should be replaced now, or None."""
    if policy.max_items and items_done >= policy.max_items:
        return f"{items_done} items >= max_items_per_worker={policy.max_items}"
    if policy.max_rss_mb and rss_mb > policy.max_rss_mb:
        return f"RSS {rss_mb:.0f} MB > max_worker_rss_mb={policy.max_rss_mb:g}"
    return None


def rss_mb() -> float:
    """This process's resident memory in MB (/proc: the standard library only)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0
