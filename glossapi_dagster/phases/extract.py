"""Phase 1 on the controller: every document becomes markdown/<stem>.md and
json/<stem>.docling.json.zst. run_extraction claims the rows, resolves what the workers need
(the OCR engine, the registered backends), runs ExtractTask (phases/extract_worker.py) on the
pool and records each outcome as a store row; long documents go as page ranges."""
from __future__ import annotations

from ..backends.ocr.engines import ocr_preflight
from ..backends.quality.triage import TRIAGE_COLUMNS
from ..pool import FATAL, PROBLEMATIC, SUCCESS, ItemOutcome, RunStopped, StopRun
from ..state import OutputLayout
from ..state.errors import OutputUnavailable
from .extract_worker import ExtractTask, torch_device
from .finish import OCR_COLUMNS, assemble_ranges
from .long_docs import LongDocuments
from .runner import run_with_ranges

__all__ = ["ExtractTask", "torch_device", "extract_row", "ocr_preview", "run_extraction"]  # the Task's home for its callers


def extract_row(stem: str, outcome: ItemOutcome) -> dict:
    """A pool outcome as a row of download_results.parquet."""
    row = {
        "stem": stem,
        "extract_status": outcome.status if outcome.status != FATAL else PROBLEMATIC,
        "extract_error": outcome.error,
        "processing_stage": "extract",
        "attempts": outcome.attempts,
        "worker": (outcome.result or {}).get("range_workers") or outcome.worker,  # a long document's: "gpu0,gpu1"
    }
    if outcome.status == SUCCESS:
        r = outcome.result
        row.update(page_count=r["page_count"], extract_sec=r["extract_sec"], needs_ocr=r["needs_ocr"],
                   extraction_backend=r["extraction_backend"], greek_ratio=r["greek_ratio"], chars=r["chars"])
        row.update({k: r[k] for k in (*TRIAGE_COLUMNS, "ocr_success", "text_repair", *OCR_COLUMNS) if k in r})
        row["failed_pages"] = r.get("failed_pages")  # a long document's pages that failed, "3,7"
    return row


def _whole_only(options, ocr_options: dict | None) -> bool:
    """Page budgets cut a document short: it goes whole, as before ranges (max_pages refuses a
    longer PDF; OCR's max_pages, a preview, reads only its first pages)."""
    if options.max_pages is not None:
        return True
    return options.force_ocr and ocr_preview(ocr_options)


def ocr_preview(ocr_options: dict | None) -> bool:
    """OCR's max_pages (or GLOSSAPI_OCR_MAX_PAGES): every document OCR'd only to its first pages."""
    from ..datamodel import settings

    return bool((ocr_options or {}).get("max_pages") or settings().ocr_max_pages)


def _drop_outputs(layout: OutputLayout, stem: str) -> None:
    for path in (layout.markdown(stem), layout.docling_json(stem), layout.sidecar("extract", stem),
                 layout.metrics(stem), layout.per_page_metrics(stem)):
        path.unlink(missing_ok=True)


def run_extraction(out_dir, rows: list[dict], config, on_summary=None, on_pool=None,
                   options=None, accel_type: str = "cuda", ocr_options: dict | None = None,
                   log=None, owner=None, **option_fields):
    """Extract the given manifest rows (each with `stem` and `path`) on the pool; returns its report.

    Only the rows this run can claim are extracted: another live run over the same OUT keeps
    its own (`owner`, a state.claims.RunOwner, lets another machine's claims be judged by their run).
    A PDF over options.max_pages_per_unit pages goes as page ranges (phases/long_docs.py;
    None: never). `options`, or `option_fields` (ExtractOptions' names: pipeline, phase1_backend, ...)."""
    from ..datamodel import ExtractOptions, build
    from ..datamodel.engines import registered_phase1_backends
    from ..state import ProgressStore, SkipList
    from ..state.claims import Claims

    options = options or build(ExtractOptions, **option_fields)
    reprocess = options.reprocess
    ocr_engine = options.ocr_engine
    if options.force_ocr or options.do_ocr:  # before any worker: engine chosen, languages there
        ocr_engine = ocr_preflight(options.ocr_engine, options.ocr_langs, ocr_options, log=log)
    layout = OutputLayout(out_dir)
    store = ProgressStore(layout.store_dir)
    claims = Claims(layout.store_dir, "extract", owner)
    try:
        mine = set(claims.claim(r["stem"] for r in rows))
        # what another run finished between our reading of the store and our claim
        mine &= set(store.pending("extract_status", stems=mine, reprocess=reprocess))
        if log and len(mine) < len(rows):
            log.info(f"{len(rows) - len(mine)} documents are taken or finished by another run over {layout.root}; "
                f"{len(mine)} left to this one")
        task = ExtractTask(str(layout.root), {}, options, accel_type=accel_type, ocr_engine=ocr_engine,
                           ocr_options=ocr_options, extra_backends=registered_phase1_backends())
        mine_rows = [r for r in rows if r["stem"] in mine]

        def complete(doc) -> dict:
            return assemble_ranges(layout, doc, options.benchmark_mode)

        def to_row(stem: str, outcome: ItemOutcome) -> dict:
            if outcome.status in (PROBLEMATIC, FATAL):  # outputs of an earlier version of a replaced file
                _drop_outputs(layout, stem)
            return extract_row(stem, outcome)

        long = LongDocuments(layout, options.max_pages_per_unit, options.max_failed_page_share, complete, log)
        task.stems = {r["path"]: r["stem"] for r in mine_rows}
        return run_with_ranges(task, mine_rows, long, config, store, SkipList(layout.skiplist), to_row, on_summary,
                               on_pool, whole_only=_whole_only(options, ocr_options), per_page=options.page_time_budget)
    except (RunStopped, StopRun) as exc:  # StopRun: the controller's own stitch met a full disk
        raise OutputUnavailable(str(exc)) from None
    finally:
        claims.release()
