"""OCR remediation (GlossAPI's ocr(mode='ocr_bad')): in the documents triage flagged `needs_ocr`,
the pages that need it are OCR'd (Tesseract or RapidOCR) and put in place of theirs in the
Docling JSON and markdown; every other page keeps its text layer. The store records
`ocr_success`, `ocr_pages`, `ocr_engine` (and `ocr_error` when it failed). With whole_document,
every page is OCR'd, as GlossAPI does.

A PDF over max_pages_per_unit pages goes as page ranges, as in extraction (phases/long_docs.py):
each range's worker OCRs the pages of that range that need it into a part; once every range is
there the controller merges them all at once into the extracted outputs, which then equal a
whole-document OCR's. A page whose OCR fails keeps its text layer (`ocr_failed_pages`).

This is the controller's side: which rows, the engine resolved, the Task on the pool, the rows
recorded. The worker's is phases/ocr_worker.py; a document is finished in phases/finish.py."""
from __future__ import annotations

from ..backends.ocr.engines import ocr_preflight
from ..backends.quality.triage import TRIAGE_COLUMNS
from ..datamodel import OcrOptions, build
from ..pool import FATAL, SKIPPED, SUCCESS, ItemOutcome, RunStopped, StopRun
from ..state import KEY, OutputLayout, ProgressStore
from ..state.errors import OutputUnavailable
from .extract import ocr_preview
from .extract_worker import ExtractTask
from .finish import OCR_COLUMNS, assemble_page_ocr, assemble_ranges
from .task_options import OptionsView, Resolved
from .long_docs import LongDocuments
from .runner import run_with_ranges
from .ocr_worker import PAGES_PHASE, PageOcrTask

# The ranges' journals of the two modes (OUT/ranges/<phase>/<stem>/): their parts differ, and
# neither is extraction's of the same stem (PAGES_PHASE: ocr_worker.py's).
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







def run_ocr(out_dir, rows: list[dict], config, on_summary=None, on_pool=None, options: OcrOptions | None = None,
            accel_type: str = "cuda", log=None, owner=None, **option_fields):
    """OCR the given store rows (each with `stem` and `path`) on the pool; returns its report.
    A PDF over options.max_pages_per_unit pages goes as page ranges (phases/long_docs.py; None:
    never). `options`, or `option_fields` (OcrOptions' names) to build it. The signature is every
    phase's (the pool asset calls it as it is); `owner` is extraction's, whose rows are claimed:
    OCR's rows are the extracted documents of the run's own shards."""
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
        task = PageOcrTask(str(layout.root), stem_of, OptionsView.of(options),
                           Resolved(accel_type, engine, dict(ocr_options or {})))

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
