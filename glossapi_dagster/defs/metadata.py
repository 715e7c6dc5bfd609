"""Materialization metadata from a pool report: counts, pages/s, worker shares, problems, a preview."""
from __future__ import annotations

from pathlib import Path

from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

from ..pool import FATAL, PROBLEMATIC, SKIPPED, SUCCESS, PoolReport

PROBLEM_SCHEMA = TableSchema(columns=[TableColumn("stem", "string"), TableColumn("status", "string"),
                                      TableColumn("reason", "string")])


def run_metadata(report: PoolReport, stem_of: dict, preview: Path | None = None) -> dict:
    counts = report.counts()
    pages = sum((o.result or {}).get("page_count", 0) for o in report.outcomes if o.status == SUCCESS)
    problems = [o for o in report.outcomes if o.status in (PROBLEMATIC, FATAL, SKIPPED)]
    meta = {
        "processed": counts[SUCCESS],
        "problematic": counts[PROBLEMATIC] + counts[FATAL],
        "skipped": counts[SKIPPED],
        "pages": pages,
        "pages_per_s": MetadataValue.float(round(pages / report.elapsed, 3) if report.elapsed else 0.0),
        "seconds": MetadataValue.float(round(report.elapsed, 2)),
        "worker_share": MetadataValue.json(dict(report.per_worker())),
        "respawns": MetadataValue.json(report.respawns),
        "problematic_files": MetadataValue.table(
            [TableRecord({"stem": stem_of[o.item], "status": o.status, "reason": o.error or ""}) for o in problems[:500]],
            schema=PROBLEM_SCHEMA,
        ),
    }
    if preview is not None and preview.exists():
        meta["preview"] = MetadataValue.md(f"**{preview.name}**\n\n" + preview.read_text(encoding="utf-8")[:3000])
    return meta
