"""Phase 1: every document becomes markdown/<stem>.md and json/<stem>.docling.json.zst."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from ..backends.base import ConversionFailed
from ..backends.docling_extractor import DoclingExtractor
from ..backends.text_fixes import clean_document
from ..pool import FATAL, SUCCESS, ItemOutcome, PermanentError, WorkerContext
from ..state import OutputLayout
from .artifacts import per_page_stats, text_stats, write_artifacts
from .triage import TRIAGE_COLUMNS, triage


def torch_device(ctx: WorkerContext, accel_type: str = "cuda") -> str:
    """cuda:0 for a bound GPU worker when CUDA is really there; the CPU otherwise."""
    if accel_type == "cpu" or ctx.cuda_id is None:
        return "cpu"
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


PHASE1_BACKENDS = ("docling", "safe", "auto")


@dataclass
class ExtractTask:
    out_dir: str
    stems: dict                      # absolute path -> stem
    pipeline: str = "native"         # Docling's pipeline: native | standard | auto
    phase1_backend: str = "docling"  # docling | safe | auto (GlossAPI's names)
    force_ocr: bool = False          # every page OCR'd, the text layer ignored
    math_requested: bool = False     # 'auto' takes Docling when Phase 2 will follow
    accel_type: str = "cuda"
    artifacts_path: str | None = None
    benchmark_mode: bool = False
    ocr_options: dict = field(default_factory=dict)
    max_pages: int | None = None     # page budget per document (safe backend; Docling's max_num_pages)
    page_time_budget: float = 20.0   # seconds a page may take (safe backend; GlossAPI's 20 s)

    def backend_for(self, path: str) -> str:
        is_pdf = path.lower().endswith(".pdf")
        if self.force_ocr and is_pdf:  # pages to OCR: PDFs only; other formats keep their converter
            return "ocr"
        if self.phase1_backend == "safe" and is_pdf:
            return "safe"
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
            "ocr": lambda: _ocr_extractor(ctx, devices["ocr"], self.ocr_options),
        }
        extractors: dict = {}

        def extractor(kind: str):
            if kind not in extractors:  # once per worker; what is certain to be needed is built now
                if kind == "docling":
                    devices["docling"] = torch_device(ctx, self.accel_type)
                extractors[kind] = builders[kind]()
            return extractors[kind]

        first = "ocr" if self.force_ocr else {"docling": "docling", "safe": "safe", "auto": "safe"}[self.phase1_backend]
        extractor(first)
        ctx.log.info("extract backend=%s pipeline=%s device=%s threads=%d", first, self.pipeline, devices[first], ctx.threads)
        layout = OutputLayout(self.out_dir)

        def process(path: str) -> dict:
            stem = self.stems[path]
            kind = self.backend_for(path)
            try:
                conv = extractor(kind).convert(path)
            except ConversionFailed as exc:
                if kind != "safe" or self.phase1_backend != "auto":
                    raise PermanentError(str(exc)) from exc
                ctx.log.warning("safe backend cannot read %s (%s); trying Docling", path, exc)
                kind = "docling"
                try:
                    conv = extractor(kind).convert(path)
                except ConversionFailed as exc2:
                    raise PermanentError(str(exc2)) from exc2
            markdown = conv.markdown
            if markdown is None:
                clean_document(conv.document)
                markdown = conv.document.export_to_markdown()
            data = conv.to_dict()
            stats = text_stats(markdown)
            is_pdf = path.lower().endswith(".pdf")
            repairs = conv.repairs or {}
            signals = triage(markdown, data, is_pdf, pdf_path=path if is_pdf else None, page_covers=conv.page_covers,
                             repairs=repairs)
            scanned = signals.pop("scanned_page_numbers")
            lgr_pages = signals.pop("lgr_page_numbers")
            if conv.backend == "rapidocr":  # OCR'd already: the signals describe the OCR text
                signals.update(needs_ocr=False, ocr_success=True)
            result = {
                "page_count": conv.page_count,
                "extract_sec": round(conv.seconds, 4),
                "extraction_backend": conv.backend,
                "text_repair": ";".join(k for k in repairs if k != "lgr_undecoded") or None,
                **stats,
                **signals,
            }
            sidecar = {"stem": stem, "source": os.path.abspath(path), "worker": ctx.label, "device": devices[kind],
                       "finished_at": time.time(), **result, "scanned_page_numbers": scanned,
                       "lgr_page_numbers": lgr_pages, "text_repairs": repairs}
            metrics = None if self.benchmark_mode else {**result, "timings": conv.timings,
                                                       "per_page": per_page_stats(data)}
            write_artifacts(layout, stem, data, markdown, sidecar, metrics)
            return result

        return process


def _safe_extractor(ctx: WorkerContext, max_pages: int | None, page_time_budget: float):
    from ..backends.safe_pdf import SafePdfExtractor

    return SafePdfExtractor(max_pages, page_time_budget, log=ctx.log)


def _ocr_extractor(ctx: WorkerContext, device: str, options: dict):
    from ..backends.ocr import OcrExtractor

    return OcrExtractor(threads=ctx.threads, device=device, log=ctx.log, **options)


def extract_row(stem: str, outcome: ItemOutcome) -> dict:
    """A pool outcome as a row of download_results.parquet."""
    row = {
        "stem": stem,
        "extract_status": outcome.status if outcome.status != FATAL else "problematic",
        "extract_error": outcome.error,
        "processing_stage": "extract",
        "attempts": outcome.attempts,
        "worker": outcome.worker,
    }
    if outcome.status == SUCCESS:
        r = outcome.result
        row.update(page_count=r["page_count"], extract_sec=r["extract_sec"], needs_ocr=r["needs_ocr"],
                   extraction_backend=r["extraction_backend"], greek_ratio=r["greek_ratio"], chars=r["chars"])
        row.update({k: r[k] for k in (*TRIAGE_COLUMNS, "ocr_success", "text_repair") if k in r})
    return row


def _size(row: dict) -> float:
    size = row.get("size")
    if isinstance(size, (int, float)) and size == size:  # not None, not NaN
        return size
    try:
        return os.path.getsize(row["path"])
    except OSError:
        return -1


def run_extraction(out_dir, rows: list[dict], config, on_summary=None, on_pool=None, **options):
    """Extract the given manifest rows (each with `stem` and `path`) on the pool; returns its report.

    `options` are ExtractTask's fields: pipeline, phase1_backend, force_ocr, accel_type, ..."""
    from ..state import ProgressStore, SkipList
    from .runner import run_on_pool

    layout = OutputLayout(out_dir)
    # largest first: one long document started last would run alone at the end
    stem_of = {r["path"]: r["stem"] for r in sorted(rows, key=_size, reverse=True)}
    task = ExtractTask(str(layout.root), stem_of, **options)
    return run_on_pool(task, stem_of, config, ProgressStore(layout.store_dir), SkipList(layout.skiplist),
                       extract_row, on_summary, on_pool)
