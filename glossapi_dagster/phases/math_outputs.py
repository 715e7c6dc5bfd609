"""What Phase 2 writes for a document: its accepted formulas placed into its Phase-1 markdown, the
latex_map and the sidecar (write_enriched, shared by a whole document and a long one assembled
from its ranges); and the inputs those are written from (the PDF, the Docling JSON, Phase 1's
markdown as it was before any earlier run of Phase 2 changed it)."""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from ..backends.math.markdown import Placement, doc_items, locate, place
from ..state import OutputLayout
from ..state.artifacts import load_docling_json
from ..state.atomic import atomic_write_text


def write_enriched(layout: OutputLayout, stem: str, pdf: Path, doc: dict | None, entries: list[dict],
                   sources: list, *, engine: str, worker: str | None, device: str | None, scan_sec: float,
                   started: float, failed: dict[int, str] | None = None) -> dict:
    """A document's decoded formulas (its entries, in order, and each one's glyph readings) placed
    into its Phase-1 markdown; latex_map, sidecar and markdown written. A whole document's and a
    long one's, assembled from its ranges (`failed`: the pages no range could do, left as Phase 1
    wrote them). `started`: perf_counter time the document's work began. Returns the store result."""
    source_md, md_now = _phase1_markdown(layout, stem)
    items = doc_items(doc) if doc else []
    locate(source_md, items)
    placements = [Placement(e["item_index"], e["kind"] == "display", e["latex"], e["page_no"], tuple(e["bbox"]),
                            source, e.get("docling_ref"), e.get("tag"))
                  for e, source in zip(entries, sources) if e["accepted"]]
    markdown, placed = place(source_md, items, placements) if source_md else (None, {})
    for e in entries:
        e["placed"] = bool(placed.get(e["item_index"], False))
    atomic_write_text(layout.latex_map(stem), "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    seconds = time.perf_counter() - started
    result = {
        "formula_total": len(entries),
        "math_items": sum(1 for e in entries if e["latex"] is not None),
        "math_accepted": sum(1 for e in entries if e["accepted"]),
        "math_time_sec": round(seconds, 4),
        "engine": engine,
        "display": sum(1 for e in entries if e["kind"] == "display"),
        "inline": sum(1 for e in entries if e["kind"] == "inline"),
        "broken_tounicode": sum(1 for e in entries if e["broken_tounicode"]),
        "placed": sum(1 for e in entries if e["placed"]),
    }
    if failed:
        result["math_failed_pages"] = ",".join(str(p) for p in sorted(failed))
    sidecar = {"stem": stem, "source": str(pdf), "worker": worker, "device": device,
               "finished_at": time.time(), "scan_sec": round(scan_sec, 4), **result,
               "markdown_sha256": _sha(markdown) if markdown is not None else None}
    if failed:
        sidecar["failed_pages"] = {str(p): r for p, r in sorted(failed.items())}
    if md_now is not None and md_now == source_md:  # keep Phase 1's markdown for a reprocess
        atomic_write_text(_phase1_copy(layout, stem), source_md)
    atomic_write_text(layout.sidecar("math", stem), json.dumps(sidecar, ensure_ascii=False, indent=1))
    if markdown is not None:
        atomic_write_text(layout.markdown(stem), markdown)  # last: its change means the rest is there
    return result


def no_math(engine: str, started: float) -> dict:
    """The result of a document without formulas: nothing is written."""
    return {"formula_total": 0, "math_items": 0, "math_accepted": 0, "engine": engine,
            "math_time_sec": round(time.perf_counter() - started, 4)}


def pdf_of(layout: OutputLayout, stem: str, sources: dict) -> Path:
    downloaded = layout.root / "downloads" / f"{stem}.pdf"
    return downloaded if downloaded.exists() else Path(sources[stem])


def docling_of(layout: OutputLayout, stem: str) -> dict | None:
    path = layout.docling_json(stem)
    return load_docling_json(path) if path.exists() else None


def formula_pages(doc: dict | None) -> set[int]:
    """The pages of Docling's formula items: a scan reads them whatever their fonts."""
    return {it.page_no for it in (doc_items(doc) if doc else []) if it.label == "formula" and it.page_no}


def _phase1_copy(layout: OutputLayout, stem: str) -> Path:
    return layout.sidecar("math", stem).with_suffix(".phase1.md")


def _phase1_markdown(layout: OutputLayout, stem: str) -> tuple[str, str | None]:
    """Phase 1's markdown: the current one, unless it is our own output of an earlier run
    (a reprocess), in which case the copy kept then."""
    path = layout.markdown(stem)
    now = path.read_text(encoding="utf-8") if path.exists() else None
    side = layout.sidecar("math", stem)
    copy = _phase1_copy(layout, stem)
    if now is not None and side.exists() and copy.exists():
        try:
            if json.loads(side.read_text(encoding="utf-8")).get("markdown_sha256") == _sha(now):
                return copy.read_text(encoding="utf-8"), None
        except ValueError:
            pass
    return (now or ""), now


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
