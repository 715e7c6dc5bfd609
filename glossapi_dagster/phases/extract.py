"""Phase 1: every document becomes markdown/<stem>.md and json/<stem>.docling.json.zst."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, fields

from ..backends.extract.base import ConversionFailed
from ..backends.extract.docling_extractor import DoclingExtractor
from ..backends.ocr.engines import build_engine, ocr_preflight
from ..backends.ocr.tesseract import parse_langs
from ..backends.extract.text_fixes import clean_document
from ..pool import FATAL, PROBLEMATIC, SUCCESS, ItemOutcome, PermanentError, RunStopped, StopRun, WorkerContext
from ..state import OutputLayout
from ..state.filetype import is_pdf as filetype_is_pdf, sniff_file
from ..state.ranges import RangeJournal
from ..state.errors import OutputUnavailable
from ..state.artifacts import write_artifacts
from ..state.store_writer import UNSYNCED
from ..backends.quality.stats import per_page_stats, text_stats
from ..backends.ocr.pages import ocr_and_merge, page_sources
from ..backends.quality.triage import TRIAGE_COLUMNS, triage
from ..backends.ocr.readability import merge_repairs, unreadable_column
from .disk import stop_on_disk_faults
from .long_docs import LongDocuments, run_with_ranges
from .ranges import PageRange
from .stitch import merge_pieces, read_part, stitch, write_part


def torch_device(ctx: WorkerContext, accel_type: str = "cuda") -> str:
    """cuda:0 for a bound GPU worker when CUDA is really there; the CPU otherwise."""
    if accel_type == "cpu" or ctx.cuda_id is None:
        return "cpu"
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


BUDGETS = ("page budget", "time budget")  # how the safe backend words a budget it refused
OCR_BACKENDS = ("rapidocr", "tesseract")
# pages OCR'd of the document, by which engine, and those it could not read
OCR_COLUMNS = ("ocr_pages", "ocr_engine", "ocr_sec", "ocr_unreadable_pages")


class _Option:
    """A field left out: ExtractOptions' default, filled in on the controller (__post_init__), so
    that a worker, which only unpickles the Task, never imports pydantic (a tenth of a second)."""

    def __repr__(self) -> str:
        return "<ExtractOptions' default>"


_DEFAULT = _Option()


@dataclass
class ExtractTask:
    """ExtractOptions' fields as the workers use them, plus what the controller resolved."""

    out_dir: str
    stems: dict                      # absolute path -> stem
    pipeline: str = _DEFAULT         # Docling's pipeline: native | standard | auto
    phase1_backend: str = _DEFAULT   # docling | safe | auto (GlossAPI's names)
    force_ocr: bool = _DEFAULT       # every page OCR'd, the text layer ignored
    math_requested: bool = _DEFAULT  # 'auto' takes Docling when Phase 2 will follow
    accel_type: str = "cuda"
    artifacts_path: str | None = _DEFAULT
    benchmark_mode: bool = _DEFAULT
    ocr_options: dict = field(default_factory=dict)
    max_pages: int | None = _DEFAULT      # page budget per document (safe backend)
    page_time_budget: float = _DEFAULT    # seconds a page may take (safe backend)
    ocr_engine: str = "rapidocr"     # rapidocr | tesseract (the controller resolves 'auto' first)
    ocr_langs: str = _DEFAULT        # Tesseract's languages; grc added for a polytonic text layer
    do_ocr: bool = _DEFAULT          # OCR the pages whose text layer fails, keep the others
    extra_backends: dict = field(default_factory=dict)  # registered backends: name -> "module:factory"
    ranges_phase: str = "extract"    # whose journal a long document's parts go to (OCR's whole_document: its own)

    def __post_init__(self):
        from ..datamodel import ExtractOptions, build

        defaults = ExtractOptions()  # the Task's defaults are the options' (datamodel/options.py)
        for f in fields(self):
            if getattr(self, f.name) is _DEFAULT:
                setattr(self, f.name, getattr(defaults, f.name))
        # a bad choice is refused here, on the controller, not as a KeyError in a worker
        build(ExtractOptions, **{k: getattr(self, k) for k in ExtractOptions.model_fields
                                 if hasattr(self, k) and k != "ocr_engine"})

    @classmethod
    def of(cls, out_dir: str, stems: dict, options, **resolved) -> "ExtractTask":
        """The Task of these options; `resolved`: what the controller decided (accel_type, OCR engine)."""
        names = {f.name for f in fields(cls)}
        given = {k: v for k, v in options.model_dump().items() if k in names and k not in resolved}
        return cls(out_dir, stems, **given, **resolved)

    def backend_for(self, path: str, kind: str | None = None) -> str:
        """`kind`: what the file's bytes are (state/filetype.py); its name's extension if not given."""
        is_pdf = (kind or os.path.splitext(path)[1].lower().lstrip(".")) == "pdf"
        if self.force_ocr and is_pdf:  # pages to OCR: PDFs only; other formats keep their converter
            return "ocr"
        if self.phase1_backend == "safe" and is_pdf:
            return "safe"
        if self.phase1_backend in self.extra_backends:
            return self.phase1_backend
        if self.phase1_backend == "auto" and is_pdf and not self.math_requested:
            return "safe"
        return "docling"

    def setup(self, ctx: WorkerContext):
        # where each backend runs; torch is imported only for Docling, so 'safe' workers start fast
        devices = {"safe": "cpu", "ocr": "cpu" if self.accel_type == "cpu" or ctx.cuda_id is None else "cuda:0"}
        builders = {
            "docling": lambda: DoclingExtractor(self.pipeline, ctx.threads, devices["docling"], self.artifacts_path,
                                                ctx.log),
            "safe": lambda: _safe_extractor(ctx, self.max_pages, self.page_time_budget),
            "ocr": lambda: build_engine(self.ocr_engine, ctx.threads, devices["ocr"], ctx.log, self.ocr_options,
                                        self.ocr_langs),
        }
        for name, target in self.extra_backends.items():
            builders[name] = lambda target=target: _load_factory(target)(ctx)
            devices[name] = "cpu"
        extractors: dict = {}

        def extractor(kind: str):
            if kind not in extractors:  # once per worker; what is certain to be needed is built now
                if kind == "docling":
                    devices["docling"] = torch_device(ctx, self.accel_type)
                extractors[kind] = builders[kind]()
            return extractors[kind]

        first = "ocr" if self.force_ocr else {"docling": "docling", "safe": "safe", "auto": "safe"}.get(
            self.phase1_backend, self.phase1_backend)
        extractor(first)
        if self.do_ocr and not self.force_ocr:
            extractor("ocr")  # the engine loads now: a missing model fails the worker's start
        ctx.log.info("extract backend=%s pipeline=%s device=%s threads=%d", first, self.pipeline, devices[first], ctx.threads)
        layout = OutputLayout(self.out_dir)

        def convert(path: str, page_range: tuple[int, int] | None = None) -> dict:
            """One document, or pages of it, converted (and OCR'd where asked): a piece to finish."""
            doc_kind = document_kind(path)  # from its bytes, whatever its name
            is_pdf = doc_kind == "pdf"
            kind = self.backend_for(path, doc_kind)
            try:
                conv = convert_with(extractor(kind), kind, path, page_range, doc_kind)
            except ConversionFailed as exc:
                # a budget the user set (max_pages, page_time_budget) is no reason to try Docling
                if kind != "safe" or self.phase1_backend != "auto" or str(exc).startswith(BUDGETS):
                    raise PermanentError(str(exc)) from exc
                ctx.log.warning("safe backend cannot read %s (%s); trying Docling", path, exc)
                kind = "docling"
                try:
                    conv = convert_with(extractor(kind), kind, path, page_range, doc_kind)
                except ConversionFailed as exc2:
                    raise PermanentError(str(exc2)) from exc2
            markdown = conv.markdown
            if markdown is None:
                clean_document(conv.document)
                markdown = conv.document.export_to_markdown()
            data = conv.to_dict()
            piece = {"markdown": markdown, "data": data, "backend": conv.backend, "pages": conv.page_count,
                     "seconds": conv.seconds, "timings": conv.timings, "repairs": conv.repairs or {},
                     "page_covers": conv.page_covers, "ocr": None, "device": devices[kind]}
            if conv.backend in OCR_BACKENDS:  # OCR'd already: the signals describe the OCR text
                for page in (data.get("pages") or {}).values():
                    page["source"] = f"ocr:{conv.backend}"
                piece["ocr"] = {"pages": {p: "force_ocr" for p in conv.timings.get("per_page", {})},
                                "engine": conv.backend, "seconds": conv.seconds, "timings": conv.timings,
                                "merged": False, "page_quality": conv.page_quality}
            elif self.do_ocr and is_pdf:
                signals = triage(markdown, data, is_pdf, pdf_path=path, page_covers=conv.page_covers,
                                 repairs=piece["repairs"])
                ocr_info = ocr_and_merge(extractor("ocr"), path, data, signals, parse_langs(self.ocr_langs))
                if ocr_info is not None:
                    clean_document(ocr_info["doc"])
                    piece.update(data=ocr_info["data"], markdown=ocr_info["doc"].export_to_markdown())
                    piece["ocr"] = {"pages": ocr_info["pages"], "engine": ocr_info["conv"].backend,
                                    "seconds": ocr_info["conv"].seconds, "timings": ocr_info["conv"].timings,
                                    "merged": True, "page_quality": ocr_info["conv"].page_quality}
                    merge_repairs(piece["repairs"], ocr_info["conv"].repairs)
            return piece

        def process(item) -> dict:
            if isinstance(item, PageRange):  # a part of a long document: kept until all are there
                piece = convert(item.path, (item.first, item.last))
                journal = RangeJournal(self.out_dir, self.stems[item.path], "", self.ranges_phase)
                write_part(journal.part(item.first, item.last), piece, layout.root)
                return {"pages": item.pages, "seconds": round(piece["seconds"], 4), "backend": piece["backend"]}
            stem = self.stems[item]
            return finish_document(layout, stem, item, convert(item), ctx.label, self.benchmark_mode, sync=False)

        return process


def _safe_extractor(ctx: WorkerContext, max_pages: int | None, page_time_budget: float):
    from ..backends.extract.safe_pdf import SafePdfExtractor

    return SafePdfExtractor(max_pages, page_time_budget, log=ctx.log)


def document_kind(path: str) -> str:
    """What the file's bytes are; a file that is none of the kinds converted is refused here with
    the reason, before any converter sees it (Docling would fetch a model for an image)."""
    try:
        found = sniff_file(path, os.path.splitext(path)[1])
    except OSError as exc:  # gone or locked under the run: judged again at the next scan
        raise PermanentError(f"unreadable: {exc.strerror or exc}") from exc
    if not found.accepted:
        raise PermanentError(found.reason)
    return found.kind


def convert_with(extractor, kind: str, path: str, page_range: tuple[int, int] | None, doc_kind: str | None = None):
    """Each backend's own way to convert only some pages (their numbers kept)."""
    if kind == "docling":
        return extractor.convert(path, page_range=page_range, kind=doc_kind)
    if page_range is None:
        return extractor.convert(path)
    if kind == "ocr":
        return extractor.convert(path, pages=set(range(page_range[0], page_range[1] + 1)))
    return extractor.convert(path, page_range=page_range)  # safe


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


def _load_factory(target: str):
    from ..datamodel.engines import load_factory

    return load_factory(target)


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
        task = ExtractTask.of(str(layout.root), {}, options, accel_type=accel_type, ocr_engine=ocr_engine,
                              ocr_options=dict(ocr_options or {}), extra_backends=registered_phase1_backends())
        mine_rows = [r for r in rows if r["stem"] in mine]

        def complete(doc) -> dict:
            return assemble_ranges(layout, doc, task.benchmark_mode)

        def to_row(stem: str, outcome: ItemOutcome) -> dict:
            if outcome.status in (PROBLEMATIC, FATAL):  # outputs of an earlier version of a replaced file
                _drop_outputs(layout, stem)
            return extract_row(stem, outcome)

        long = LongDocuments(layout, options.max_pages_per_unit, options.max_failed_page_share, complete, log)
        task.stems = {r["path"]: r["stem"] for r in mine_rows}
        return run_with_ranges(task, mine_rows, long, config, store, SkipList(layout.skiplist), to_row, on_summary,
                               on_pool, whole_only=_whole_only(options, ocr_options), per_page=task.page_time_budget)
    except (RunStopped, StopRun) as exc:  # StopRun: the controller's own stitch met a full disk
        raise OutputUnavailable(str(exc)) from None
    finally:
        claims.release()
