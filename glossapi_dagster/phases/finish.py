"""Finishing a document, the one place every route ends: triaged, its store row's values, sidecar
and metrics made, and its artifacts written. Its text comes normalised: every backend has put it
through the one text stage (backends/text_stage.py) before it returned. Extraction finishes a
converted document (whole, or stitched from its ranges); OCR remediation finishes one whose pages
it OCR'd."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..backends.ocr.pages import page_sources
from ..backends.page_joins import markdown_of
from ..backends.ocr.readability import merge_repairs, unreadable_column
from ..backends.quality.stats import per_page_stats, text_stats
from ..backends.quality.triage import page_signals, triage
from ..state import OutputLayout
from ..backends.ocr.pages import merge_ocr_pages
from ..state.artifacts import encode_json, load_docling_json, pretty_json
from ..state.atomic import atomic_write_files
from ..state.filetype import is_pdf as filetype_is_pdf
from ..state.store_writer import UNSYNCED
from .disk import stop_on_disk_faults
from .stitch import empty_document, merge_ocr_infos, merge_pieces, read_part, splice, stitch

if TYPE_CHECKING:  # a worker imports this module: long_docs (and the store's pandas) stays out of it
    from .long_docs import LongDoc

# pages OCR'd of the document, by which engine, and those it could not read
OCR_COLUMNS = ("ocr_pages", "ocr_engine", "ocr_sec", "ocr_unreadable_pages")


def finish_document(layout: OutputLayout, stem: str, path: str, piece: dict, worker: str,
                    benchmark_mode: bool, failed_pages: dict | None = None, sync: bool = True) -> dict:
    """Triage, the store row's values, the sidecar and metrics of a converted document (whole, or
    stitched from its ranges), and its artifacts written; returns the result for the store.

    sync=False (a worker's document): its new files are left for the controller to sync before
    it records the row, many documents at once (UNSYNCED: their paths, in the result)."""
    data, markdown, repairs, ocr = piece["data"], piece["markdown"], piece["repairs"], piece["ocr"]
    is_pdf = filetype_is_pdf(path)  # by its bytes: a PDF under any name is triaged as one
    if ocr is not None and ocr["merged"]:
        signals = triage(markdown, data, is_pdf, pdf_path=path)
    else:
        signals = triage(markdown, data, is_pdf, pdf_path=path if is_pdf else None,
                         page_covers=piece["page_covers"], repairs=repairs)
    scanned = signals.pop("scanned_page_numbers")
    lgr_pages = signals.pop("lgr_page_numbers")
    if ocr is not None:
        signals.update(needs_ocr=False, ocr_success=True)
    result = {
        "page_count": piece["pages"],
        "extract_sec": round(piece["seconds"], 4),
        "extraction_backend": piece["backend"],
        "text_repair": ";".join(k for k in repairs if k != "lgr_undecoded") or None,
        **text_stats(markdown),
        **signals,
    }
    if ocr is not None:
        result.update(ocr_pages=len(ocr["pages"]), ocr_engine=ocr["engine"], ocr_sec=round(ocr["seconds"], 4),
                      ocr_unreadable_pages=unreadable_column(ocr.get("page_quality")))
    if failed_pages:
        result["failed_pages"] = ",".join(str(p) for p in sorted(failed_pages))
    sidecar = {"stem": stem, "source": os.path.abspath(path), "worker": worker, "device": piece["device"],
               "finished_at": time.time(), **result, "scanned_page_numbers": scanned,
               "lgr_page_numbers": lgr_pages, "text_repairs": repairs}
    if failed_pages:
        sidecar["failed_pages"] = {str(p): r for p, r in sorted(failed_pages.items())}
    if ocr is not None:
        sidecar["ocr_page_reasons"] = {str(p): r for p, r in ocr["pages"].items()}
        sidecar["ocr_page_quality"] = {str(p): q for p, q in (ocr.get("page_quality") or {}).items()}
    metrics = None if benchmark_mode else {**result, "timings": piece["timings"], "per_page": per_page_stats(data)}
    if metrics is not None and ocr is not None:
        add_page_sources(metrics, data, ocr["timings"])
    with stop_on_disk_faults(layout.root):
        unsynced = write_artifacts(layout, stem, data, markdown, sidecar, metrics, sync=sync)
    if unsynced:
        result[UNSYNCED] = [str(p) for p in unsynced]
    return result


def write_artifacts(layout: OutputLayout, stem: str, doc: dict, markdown: str, sidecar: dict,
                    metrics: dict | None, sync: bool = True) -> list[Path]:
    """The document's files written together: its Docling JSON (the dict), sidecar, metrics and,
    last, its markdown, whose presence means the others are complete. sync=False: the new files
    are returned unsynced (state/atomic.py's atomic_write_files)."""
    files = [(layout.docling_json(stem), encode_json(doc)), (layout.sidecar("extract", stem), pretty_json(sidecar))]
    if metrics is not None:
        pages = metrics.pop("per_page")
        files += [(layout.metrics(stem), pretty_json(metrics)), (layout.per_page_metrics(stem), pretty_json(pages))]
    files.append((layout.markdown(stem), markdown.encode("utf-8")))
    return atomic_write_files(files, sync=sync)


def assemble_ranges(layout: OutputLayout, doc, benchmark_mode: bool) -> dict:
    """A long document's converted ranges (LongDoc) stitched and finished as one document: the
    `complete` of extraction and of OCR's whole_document."""
    name = os.path.splitext(os.path.basename(doc.path))[0]
    data, markdown, metas = stitch(doc.journal, doc.path, name, doc.done, doc.failed, read_part)
    piece = merge_pieces(metas, data, markdown, doc.total)
    result = finish_document(layout, doc.stem, doc.path, piece, doc.workers, benchmark_mode, doc.failed)
    return {**result, "range_workers": doc.workers}


def add_page_sources(metrics: dict, data: dict, ocr_timings: dict) -> None:
    """Per-page metrics gain each page's source and its OCR seconds; the OCR stage's timings too."""
    sources = page_sources(data)
    seconds = ocr_timings.get("per_page", {})
    for page in metrics["per_page"]:
        page["source"] = sources.get(page["page_no"], "text_layer")
        if page["page_no"] in seconds:
            page["ocr_sec"] = seconds[page["page_no"]]
    if metrics.get("timings") is not ocr_timings:
        metrics["timings"] = {**metrics.get("timings", {}),
                              "ocr": {k: v for k, v in ocr_timings.items() if k != "per_page"}}


def assemble_page_ocr(layout: OutputLayout, doc: LongDoc, engine: str, benchmark_mode: bool) -> dict:
    """A long document's OCR'd ranges merged into its extracted outputs at once (one merge over
    the parts' OCR pages spliced as one document): what PageOcrTask gives for the whole of it."""
    from docling_core.types.doc import DoclingDocument

    started = time.perf_counter()
    parts = [read_part(doc.journal.part(first, last)) for first, last in doc.done]
    data = load_docling_json(layout.docling_json(doc.stem))
    signals = extraction_signals(layout, doc.stem, data, doc.path)
    info = merge_ocr_infos([part["ocr"] for part in parts if part.get("ocr")])
    merged = None
    if info is not None:
        ocr_doc = splice([part["data"] for part in parts if part.get("ocr")], empty_document(), doc.stem)
        merged, data = merge_ocr_pages(data, DoclingDocument.model_validate(ocr_doc), f"ocr:{info['engine']}")
    seconds = sum(o.seconds for o in doc.results) + time.perf_counter() - started
    device = next((part.get("device") for part in parts if part.get("device")), None)
    result = finish_page_ocr(layout, doc.stem, doc.path, signals, data, merged, info, seconds, doc.workers, device,
                             engine, benchmark_mode, doc.failed)
    return {**result, "range_workers": doc.workers}


def finish_page_ocr(layout: OutputLayout, stem: str, path: str, signals: dict, data: dict, doc, ocr: dict | None,
                    seconds: float, worker: str | None, device: str | None, engine: str, benchmark_mode: bool,
                    failed: dict | None = None) -> dict:
    """Triage again, the store row's values, the sidecar and metrics of a document whose pages were
    OCR'd (`doc`, the merged DoclingDocument, None when no page was) and its artifacts written.
    `failed`: pages whose OCR failed (page -> reason); they keep their text layer."""
    if doc is not None:
        markdown = markdown_of(doc)  # its OCR'd pages went through the text stage as they were read
    else:
        markdown = layout.markdown(stem).read_text(encoding="utf-8")
    new_signals = triage(markdown, data, True, pdf_path=path)
    new_signals.pop("scanned_page_numbers")
    pages = ocr["pages"] if ocr else {}
    timings = ocr["timings"] if ocr else {}
    repairs = merge_repairs(dict(signals.get("text_repairs") or {}), (ocr or {}).get("repairs"))
    result = {"page_count": len(data.get("pages") or {}), "extract_sec": round(seconds, 4),
              "extraction_backend": signals.get("extraction_backend") or "unknown",
              **text_stats(markdown), **new_signals, "needs_ocr": False,
              "ocr_pages": len(pages), "ocr_engine": ocr["engine"] if ocr else engine,
              "ocr_sec": round(ocr["seconds"], 4) if ocr else 0.0,
              "ocr_unreadable_pages": unreadable_column((ocr or {}).get("page_quality")),
              "text_repair": ";".join(k for k in repairs if k != "lgr_undecoded") or None}
    if failed:
        result["ocr_failed_pages"] = ",".join(str(p) for p in sorted(failed))
    sidecar = {**{k: v for k, v in signals.items() if k not in ("needs_ocr", "ocr_failed_pages")}, "stem": stem,
               "source": os.path.abspath(path), "ocr_worker": worker, "ocr_device": device,
               "finished_at": time.time(), **result,
               "ocr_page_reasons": {str(p): r for p, r in pages.items()}, "text_repairs": repairs,
               "ocr_page_quality": {str(p): q for p, q in ((ocr or {}).get("page_quality") or {}).items()}}
    if failed:
        sidecar["ocr_failed_pages"] = {str(p): r for p, r in sorted(failed.items())}
    metrics = None
    if not benchmark_mode:
        metrics = {**result, "timings": timings, "per_page": per_page_stats(data)}
        add_page_sources(metrics, data, timings)
    with stop_on_disk_faults(layout.root):
        write_artifacts(layout, stem, data, markdown, sidecar, metrics)
    return result


def extraction_signals(layout: OutputLayout, stem: str, data: dict, path: str) -> dict:
    """What extraction said of the document (its sidecar, which the OCR pass extends: page lists
    such as scanned_page_numbers and lgr_page_numbers), else the page signals measured again."""
    sidecar = layout.sidecar("extract", stem)
    if sidecar.exists():
        try:
            return {**json.loads(sidecar.read_text(encoding="utf-8")), "needs_ocr": True}
        except (OSError, ValueError):
            pass
    return {**page_signals(data, path), "needs_ocr": True}
