"""Phase 2: the formulas of every extracted document decoded to LaTeX, on the worker pool.

This module is the controller side (run_math): one store row per outcome, and for a document set
aside past the respawn cap, the fatal skip-list and quarantine. The worker side is
phases/math_worker.py (MathTask), what it writes phases/math_outputs.py, which formulas it
accepts phases/math_accept.py; which documents Phase 2 takes is the store's query
(state/phase_rows.py: math_targets).

A PDF longer than max_pages_per_unit goes as page ranges (phases/long_docs.py): a worker scans
and decodes the formulas of its range's pages and writes them as a part (OUT/ranges/math/<stem>/);
once every page is done or failed, the controller puts the parts' formulas in page order and
places them into the Phase-1 markdown in one pass, as a whole document's would be (write_enriched,
the tail both share). Formulas of failed pages stay as Phase 1 left them; the pages are listed
(math_failed_pages). A range past the respawn cap, or left without a device, sets its document
aside as a whole document would be (skip-list, quarantine), its finished ranges kept for later.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from ..datamodel import MathOptions, build, math_engine_plugin, settings
from ..pool import FATAL, PROBLEMATIC, SKIPPED, SUCCESS, ItemOutcome
from ..state import OutputLayout
from ..state.atomic import atomic_write
from ..state.fspath import LINKS, worker_path
from ..state.statuses import NO_MATH
from .long_docs import LongDocuments
from .runner import run_with_ranges
from .math_outputs import docling_of, no_math, pdf_of, write_enriched
from .math_worker import MathTask
from .task_options import OptionsView
from .stitch import read_part


def respawn_cap(explicit: int | None = None) -> int:
    """The math workers' respawn cap: an explicit value, else GLOSSAPI_MATH_RESPAWN_CAP, else 5.
    0 means never respawn (GlossAPI reads 0 as unlimited; here it means what it says)."""
    if explicit is not None:
        if explicit < 0:
            raise ValueError(f"the math respawn cap must be >= 0, got {explicit}")
        return explicit
    return settings().math_respawn_cap


def math_row(stem: str, outcome: ItemOutcome) -> dict:
    """A pool outcome as a store row. math_enriched is written only on success."""
    if outcome.status == SUCCESS:
        r = outcome.result
        failed = r.get("math_failed_pages")  # a long document's pages no range could do, "3,7"
        if r["formula_total"] == 0:
            return {"stem": stem, "formula_total": 0, "math_status": NO_MATH, "math_error": None,
                    "math_failed_pages": failed}
        return {"stem": stem, "formula_total": r["formula_total"], "math_enriched": True,
                "math_items": r["math_items"], "math_accepted": r["math_accepted"],
                "math_time_sec": r["math_time_sec"], "math_status": SUCCESS, "math_error": None,
                "processing_stage": "math", "math_failed_pages": failed}
    status = FATAL if outcome.status in (FATAL, SKIPPED) else PROBLEMATIC
    return {"stem": stem, "math_status": status, "math_error": outcome.error or status}


def quarantine(layout: OutputLayout, stem: str, source: str | None) -> list[Path]:
    """Copies of a set-aside document's input and JSON artifacts into the problematic_math folders."""
    copied = []
    downloaded = layout.root / "downloads" / f"{stem}.pdf"
    src = downloaded if downloaded.exists() else (Path(source) if source else None)
    if src is not None and src.is_file():
        copied.append(_copy(src, layout.quarantine("downloads") / f"{stem}{src.suffix.lower() or '.pdf'}"))
    for path in (layout.docling_json(stem), layout.latex_map(stem)):
        if path.is_file():
            copied.append(_copy(path, layout.quarantine("json") / path.name))
    return copied


def _copy(src: Path, dst: Path) -> Path:
    atomic_write(dst, lambda tmp: shutil.copyfile(src, tmp))
    return dst


def run_math(out_dir, rows: list[dict], config, on_summary=None, on_pool=None, options: MathOptions | None = None,
             accel_type: str = "cuda", log=None, owner=None, **fields):
    """Phase 2 over the given rows (each with `stem` and `path`) on the pool; returns its report.

    A PDF over options.max_pages_per_unit pages goes as page ranges (None: never).
    `options`, or `fields` (MathOptions' names: math_engine, math_batch_size, ...) to build it.
    The signature is every phase's (the pool asset calls it as it is): `log` and `owner` are
    OCR's and extraction's (Phase 2 reports through on_summary; its rows are its shards')."""
    from ..state import ProgressStore, SkipList

    options = options or build(MathOptions, **fields)
    layout = OutputLayout(out_dir)
    # a name that is not UTF-8 is opened through a link named by its stem (state/fspath.py)
    rows = [{**r, "path": worker_path(r["path"], r["stem"], layout.store_dir / LINKS) if r.get("path") else None}
            for r in rows]
    sources = {r["stem"]: r["path"] for r in rows}
    task = MathTask(str(layout.root), sources, OptionsView.of(options), accel_type,
                    math_engine_plugin(options.math_engine))
    skiplist = SkipList(layout.skiplist)

    def to_row(stem: str, outcome: ItemOutcome) -> dict:
        if outcome.status in (FATAL, SKIPPED):  # past the cap, or no device left to take it
            quarantine(layout, stem, sources.get(stem))
            skiplist.add([stem])
        return math_row(stem, outcome)

    def complete(doc) -> dict:
        return assemble(layout, doc, sources)

    # past the respawn cap or without a device, a range sets its whole document aside (Phase 2's rule)
    long = LongDocuments(layout, options.max_pages_per_unit, options.max_failed_page_share, complete,
                         phase="math", set_aside=(FATAL, SKIPPED),
                         inputs=lambda row: [layout.docling_json(row["stem"])])  # a re-extraction voids the parts
    return run_with_ranges(task, rows, long, config, ProgressStore(layout.store_dir), skiplist, to_row,
                           on_summary, on_pool, item_of=lambda r: r["stem"])


def assemble(layout: OutputLayout, doc, sources: dict) -> dict:
    """A long document's ranges (doc: long_docs.LongDoc) as one: their formulas in a whole
    document's order, numbered again, placed and written as enrich writes a whole one's."""
    started = time.perf_counter()
    parts = [read_part(doc.journal.part(first, last)) for first, last in sorted(doc.done)]
    targets = sorted((t for part in parts for t in part["targets"]), key=lambda t: t["order"])
    entries = [{**t["entry"], "item_index": i} for i, t in enumerate(targets)]
    engine = parts[0]["engine"] if parts else "textlayer"
    started -= sum(part["seconds"] for part in parts)  # the ranges' own time, on their workers
    if not entries and not doc.failed:
        return no_math(engine, started)
    return write_enriched(layout, doc.stem, pdf_of(layout, doc.stem, sources), docling_of(layout, doc.stem), entries,
                          [t["source"] for t in targets], engine=engine, worker=doc.workers,
                          device=parts[0]["device"] if parts else None,
                          scan_sec=sum(part["scan_sec"] for part in parts), started=started, failed=doc.failed)
