"""What the pool reports: one outcome per item, periodic summaries, and a final report."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..state.statuses import FATAL, PROBLEMATIC, SKIPPED, SUCCESS  # item outcome statuses

__all__ = ["FATAL", "PROBLEMATIC", "SKIPPED", "SUCCESS", "ItemOutcome", "PoolReport", "Summary"]


@dataclass
class ItemOutcome:
    item: Any
    status: str                 # success | problematic | fatal (skip-list) | skipped (retry next run)
    result: dict | None = None  # what the task returned, on success
    error: str | None = None
    seconds: float = 0.0
    attempts: int = 1
    worker: str | None = None   # gpu0, gpu1, ... cpu
    pid: int | None = None


@dataclass(frozen=True)
class Summary:
    processed: int
    problematic: int
    skipped: int
    queued: int       # items still waiting in the queue (GlossAPI prints the result queue instead)
    in_flight: int
    live_workers: int
    items_per_s: float
    elapsed: float

    def line(self) -> str:
        return (
            f"processed={self.processed} problematic={self.problematic} skipped={self.skipped} "
            f"queued={self.queued} in_flight={self.in_flight} workers={self.live_workers} "
            f"rate={self.items_per_s:.2f}/s elapsed={self.elapsed:.0f}s"
        )


@dataclass
class PoolReport:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    respawns: dict[str, int] = field(default_factory=dict)
    exhausted: list[str] = field(default_factory=list)
    recycles: dict[str, int] = field(default_factory=dict)  # workers replaced by count or RSS (not crashes)
    elapsed: float = 0.0

    def counts(self) -> Counter:
        return Counter(o.status for o in self.outcomes)

    def per_worker(self) -> Counter:
        """Items each worker finished (success or problematic): the share a faster device took."""
        return Counter(o.worker for o in self.outcomes if o.worker and o.status in (SUCCESS, PROBLEMATIC))
