"""OCR remediation (GlossAPI's ocr(mode='ocr_bad')): in the documents triage flagged `needs_ocr`,
the pages that need it are OCR'd (Tesseract or RapidOCR) and put in place of theirs in the
Docling JSON and markdown; every other page keeps its text layer. The store records
`ocr_success`, `ocr_pages`, `ocr_engine` (and `ocr_error` when it failed). With whole_document,
every page is OCR'd, as GlossAPI does.

A PDF over max_pages_per_unit pages goes as page ranges, as in extraction (phases/long_docs.py):
each range's worker OCRs the pages of that range that need it into a part; once every range is
there the controller merges them all at once into the extracted outputs, which then equal a
whole-document OCR's. A page whose OCR fails keeps its text layer (`ocr_failed_pages`)."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field

from ..backends.extract.base import ConversionFailed
from ..backends.ocr.engines import build_engine, ocr_preflight
from ..backends.extract.text_fixes import clean_document
from ..backends.ocr.tesseract import parse_langs
from ..datamodel import OcrOptions, build
from ..pool import FATAL, SKIPPED, SUCCESS, ItemOutcome, PermanentError, RunStopped, StopRun, WorkerContext
from ..state import KEY, OutputLayout, ProgressStore
from ..state.artifacts import load_docling_json, write_artifacts
from ..state.errors import OutputUnavailable
from ..state.phase_rows import ocr_targets  # noqa: F401  (the OCR asset's query, named here too)
from ..state.ranges import RangeJournal
from ..backends.quality.stats import per_page_stats, text_stats
from .extract import OCR_COLUMNS, ExtractTask, add_page_sources, assemble_ranges, ocr_preview
from ..backends.ocr.pages import merge_ocr_pages, ocr_needed_pages
from ..backends.quality.triage import TRIAGE_COLUMNS, page_signals, triage
from ..backends.ocr.readability import merge_repairs, unreadable_column
from .disk import stop_on_disk_faults
from .long_docs import LongDoc, LongDocuments, run_with_ranges
from .ranges import PageRange
from .stitch import empty_document, merge_ocr_infos, read_part, splice, write_part

# The ranges' journals of the two modes (OUT/ranges/<phase>/<stem>/): their parts differ, and
# neither is extraction's of the same stem.
PAGES_PHASE = "ocr"
WHOLE_PHASE = "ocr_whole"

def ocr_row(stem: str, outcome: ItemOutcome) -> dict:
    """A pool outcome of the OCR pass as a store row; extraction's own columns stay as they were."""
    row = {KEY: stem, "processing_stage": "ocr",
           "worker": (outcome.result or {}).get("range_workers") or outcome.worker}  # a long document's: "gpu0,gpu1"
    if outcome.status == SUCCESS:
        r = outcome.result
        row.update({k: r[k] for k in TRIAGE_COLUMNS if k in r})
        row.update(ocr_success=True, ocr_error=None, needs_ocr=False, ocr_sec=r.get("ocr_sec", r["extract_sec"]),
                   extraction_backend=r["extraction_backend"], greek_ratio=r["greek_ratio"], chars=r["chars"])
        row.update({k: r[k] for k in (*OCR_COLUMNS, "text_repair") if k in r})
        row["ocr_failed_pages"] = r.get("ocr_failed_pages")  # a long document's pages whose OCR failed, "3,7"
    elif outcome.status == SKIPPED:  # not tried to the end (the run stopped): left for the next run
        row["ocr_error"] = f"skipped: {outcome.error}"
    else:
        row.update(ocr_success=False, ocr_error=outcome.error or outcome.status)
        if outcome.status == FATAL:
            row["ocr_error"] = f"fatal: {row['ocr_error']}"
    return row


@dataclass
class PageOcrTask:
    """On a worker: an extracted document's failing pages OCR'd and merged into its outputs; of a
    long document, a page range's failing pages OCR'd into a part the controller merges."""

    out_dir: str
    stems: dict                      # absolute path -> stem
    ocr_engine: str = "tesseract"    # resolved already: rapidocr | tesseract
    ocr_langs: str = "ell+eng"
    accel_type: str = "cuda"
    ocr_options: dict = field(default_factory=dict)
    benchmark_mode: bool = False

    def setup(self, ctx: WorkerContext):
        device = "cpu" if self.accel_type == "cpu" or ctx.cuda_id is None else "cuda:0"
        extractor = build_engine(self.ocr_engine, ctx.threads, device, ctx.log, self.ocr_options, self.ocr_langs)
        ctx.log.info("ocr pages engine=%s langs=%s device=%s threads=%d", self.ocr_engine, self.ocr_langs, device,
                     ctx.threads)
        layout = OutputLayout(self.out_dir)
        asked = parse_langs(self.ocr_langs)

        def ocr(path: str, within: range | None = None):
            """(stem, extracted JSON, signals, (conv, {page: reasons}) or None)."""
            stem = self.stems[path]
            json_path = layout.docling_json(stem)
            if not json_path.exists():
                raise PermanentError(f"no Docling JSON to OCR pages into: {json_path} (extract first)")
            data = load_docling_json(json_path)
            signals = _extract_signals(layout, stem, data, path)
            try:
                return stem, data, signals, ocr_needed_pages(extractor, path, data, signals, asked, within)
            except ConversionFailed as exc:
                raise PermanentError(str(exc)) from exc

        def process(item) -> dict:
            started = time.perf_counter()
            if isinstance(item, PageRange):  # a part of a long document: merged once all are there
                stem, _, _, found = ocr(item.path, range(item.first, item.last + 1))
                part = {"data": None, "ocr": None, "device": device}  # no page to OCR: an empty part
                if found is not None:
                    conv, pages = found
                    part.update(data=conv.document.export_to_dict(), ocr=ocr_record(conv, pages))
                write_part(RangeJournal(self.out_dir, stem, "", PAGES_PHASE).part(item.first, item.last), part,
                           layout.root)
                return {"pages": item.pages, "ocr_pages": len(found[1]) if found else 0,
                        "seconds": round(time.perf_counter() - started, 4)}
            stem, data, signals, found = ocr(item)
            doc, info = None, None
            if found is not None:
                conv, pages = found
                doc, data = merge_ocr_pages(data, conv.document, f"ocr:{conv.backend}")
                info = ocr_record(conv, pages)
            return finish_page_ocr(layout, stem, item, signals, data, doc, info, time.perf_counter() - started,
                                   ctx.label, device, self.ocr_engine, self.benchmark_mode)

        return process


def ocr_record(conv, pages: dict) -> dict:
    """What an OCR conversion did, as the ranges' parts and merge_ocr_infos carry it."""
    return {"pages": pages, "engine": conv.backend, "seconds": conv.seconds, "timings": conv.timings, "merged": True,
            "repairs": conv.repairs or {}, "page_quality": conv.page_quality or {}}


def assemble_page_ocr(layout: OutputLayout, doc: LongDoc, engine: str, benchmark_mode: bool) -> dict:
    """A long document's OCR'd ranges merged into its extracted outputs at once (one merge over
    the parts' OCR pages spliced as one document): what PageOcrTask gives for the whole of it."""
    from docling_core.types.doc import DoclingDocument

    started = time.perf_counter()
    parts = [read_part(doc.journal.part(first, last)) for first, last in doc.done]
    data = load_docling_json(layout.docling_json(doc.stem))
    signals = _extract_signals(layout, doc.stem, data, doc.path)
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
        clean_document(doc)
        markdown = doc.export_to_markdown()
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


def _extract_signals(layout: OutputLayout, stem: str, data: dict, path: str) -> dict:
    """What extraction said of the document (its sidecar, which the OCR pass extends: page lists
    such as scanned_page_numbers and lgr_page_numbers), else the page signals measured again."""
    sidecar = layout.sidecar("extract", stem)
    if sidecar.exists():
        try:
            return {**json.loads(sidecar.read_text(encoding="utf-8")), "needs_ocr": True}
        except (OSError, ValueError):
            pass
    return {**page_signals(data, path), "needs_ocr": True}


def run_ocr(out_dir, rows: list[dict], config, on_summary=None, on_pool=None, options: OcrOptions | None = None,
            accel_type: str = "cuda", log=None, **option_fields):
    """OCR the given store rows (each with `stem` and `path`) on the pool; returns its report.
    A PDF over options.max_pages_per_unit pages goes as page ranges (phases/long_docs.py; None:
    never). `options`, or `option_fields` (OcrOptions' names) to build it."""
    from ..state import SkipList

    options = options or build(OcrOptions, **option_fields)
    ocr_options, benchmark_mode = options.engine_options(), options.benchmark_mode
    ocr_langs, whole_document = options.ocr_langs, options.whole_document
    layout = OutputLayout(out_dir)
    stem_of = {r["path"]: r["stem"] for r in rows}
    engine = ocr_preflight(options.ocr_engine, ocr_langs, ocr_options, log=log)  # before any worker starts
    if whole_document:  # extraction's force_ocr, its ranges in a journal of their own
        task = ExtractTask(str(layout.root), stem_of, force_ocr=True, accel_type=accel_type, ocr_engine=engine,
                           ocr_langs=ocr_langs, ocr_options=dict(ocr_options or {}), benchmark_mode=benchmark_mode,
                           ranges_phase=WHOLE_PHASE)

        def complete(doc) -> dict:
            result = assemble_ranges(layout, doc, benchmark_mode)
            return {**result, "ocr_failed_pages": result.get("failed_pages")}

        phase, whole_only = WHOLE_PHASE, ocr_preview(ocr_options)  # a preview reads only the first pages
        inputs = None  # extraction's parts: made from the PDF alone
    else:
        task = PageOcrTask(str(layout.root), stem_of, engine, ocr_langs, accel_type, dict(ocr_options or {}),
                           benchmark_mode)

        def complete(doc) -> dict:
            return assemble_page_ocr(layout, doc, engine, benchmark_mode)

        def whole_only(row: dict) -> bool:  # nothing to OCR pages into: one item fails, not every page
            return not layout.docling_json(row["stem"]).exists()

        def inputs(row: dict) -> list:  # the parts are chosen from the extracted JSON: a new one voids them
            return [layout.docling_json(row["stem"])]

        phase = PAGES_PHASE
    long = LongDocuments(layout, options.max_pages_per_unit, options.max_failed_page_share, complete, log, phase,
                         inputs)
    try:
        return run_with_ranges(task, rows, long, config, ProgressStore(layout.store_dir), SkipList(layout.skiplist),
                               ocr_row, on_summary, on_pool, whole_only=whole_only, per_page=options.page_time_budget)
    except (RunStopped, StopRun) as exc:  # StopRun: the controller's own merge met a full disk
        raise OutputUnavailable(str(exc)) from None
