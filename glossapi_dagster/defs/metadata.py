"""Materialization metadata from a pool report: what one shard's documents did (counts, pages,
problems, a preview), and what the run's pool did as a whole (seconds, pages/s, worker shares)."""
from __future__ import annotations

from pathlib import Path

from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

from ..pool import FATAL, PROBLEMATIC, SKIPPED, SUCCESS, ItemOutcome, PoolReport

PROBLEM_SCHEMA = TableSchema(columns=[TableColumn("stem", "string"), TableColumn("status", "string"),
                                      TableColumn("reason", "string")])


def _pages(outcomes: list[ItemOutcome]) -> int:
    return sum((o.result or {}).get("page_count", 0) for o in outcomes if o.status == SUCCESS)


def outcome_metadata(outcomes: list[ItemOutcome], stem_of: dict, preview: Path | None = None) -> dict:
    """The counts of these outcomes (one shard's, or a whole run's)."""
    status = [o.status for o in outcomes]
    problems = [o for o in outcomes if o.status in (PROBLEMATIC, FATAL, SKIPPED)]
    meta = {
        "processed": status.count(SUCCESS),
        "problematic": status.count(PROBLEMATIC) + status.count(FATAL),
        "skipped": status.count(SKIPPED),
        "pages": _pages(outcomes),
        "problematic_files": MetadataValue.table(
            [TableRecord({"stem": stem_of[o.item], "status": o.status, "reason": o.error or ""}) for o in problems[:500]],
            schema=PROBLEM_SCHEMA,
        ),
    }
    if preview is not None and preview.exists():
        meta["preview"] = MetadataValue.md(f"**{preview.name}**\n\n" + preview.read_text(encoding="utf-8")[:3000])
    return meta


def pool_metadata(report: PoolReport) -> dict:
    """What the pool did over the whole run (every shard of it: one pool served them all)."""
    pages = _pages(report.outcomes)
    return {
        "pages_per_s": MetadataValue.float(round(pages / report.elapsed, 3) if report.elapsed else 0.0),
        "seconds": MetadataValue.float(round(report.elapsed, 2)),
        "worker_share": MetadataValue.json(dict(report.per_worker())),
        "respawns": MetadataValue.json(report.respawns),
        "recycles": MetadataValue.json(report.recycles),  # workers replaced on purpose, not crashes
    }

