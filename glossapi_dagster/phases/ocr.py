"""OCR remediation (GlossAPI's ocr(mode='ocr_bad')): in the documents triage flagged `needs_ocr`,
the pages that need it are OCR'd (Tesseract or RapidOCR) and put in place of theirs in the
Docling JSON and markdown; every other page keeps its text layer. The store records
`ocr_success`, `ocr_pages`, `ocr_engine` (and `ocr_error` when it failed). With whole_document,
every page is OCR'd, as GlossAPI does."""
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
from ..pool import FATAL, SKIPPED, SUCCESS, ItemOutcome, PermanentError, WorkerContext
from ..state import KEY, OutputLayout, ProgressStore
from ..state.artifacts import load_docling_json, write_artifacts
from ..backends.quality.stats import per_page_stats, text_stats
from .extract import OCR_COLUMNS, ExtractTask, add_page_sources
from ..backends.ocr.pages import ocr_and_merge
from ..backends.quality.triage import TRIAGE_COLUMNS, page_signals, triage


def ocr_targets(store: ProgressStore, stems: set[str] | None = None, reprocess: bool = False,
                skip: set[str] = frozenset()) -> list[str]:
    """Stems extracted successfully, flagged needs_ocr, not OCR'd yet (a failed OCR again only with
    reprocess), not vanished, not skip-listed; restricted to `stems` when given."""
    df = store.read([KEY, "extract_status", "needs_ocr", "ocr_success", "missing"])
    if df.empty or "needs_ocr" not in df or "extract_status" not in df:
        return []

    def col(name):
        return df[name] if name in df else None

    todo = col("extract_status").eq(SUCCESS).fillna(False) & col("needs_ocr").fillna(False).astype(bool)
    done = col("ocr_success")
    if done is not None:
        tried = done.notna()
        todo &= ~(done.fillna(False).astype(bool))
        if not reprocess:
            todo &= ~tried
    if col("missing") is not None:
        todo &= ~col("missing").fillna(False).astype(bool)
    found = df.loc[todo.to_numpy(dtype=bool), KEY].tolist()
    return [s for s in found if (stems is None or s in stems) and s not in skip]


def ocr_row(stem: str, outcome: ItemOutcome) -> dict:
    """A pool outcome of the OCR pass as a store row; extraction's own columns stay as they were."""
    row = {KEY: stem, "processing_stage": "ocr", "worker": outcome.worker}
    if outcome.status == SUCCESS:
        r = outcome.result
        row.update({k: r[k] for k in TRIAGE_COLUMNS if k in r})
        row.update(ocr_success=True, ocr_error=None, needs_ocr=False, ocr_sec=r.get("ocr_sec", r["extract_sec"]),
                   extraction_backend=r["extraction_backend"], greek_ratio=r["greek_ratio"], chars=r["chars"])
        row.update({k: r[k] for k in OCR_COLUMNS if k in r})
    elif outcome.status == SKIPPED:  # not tried to the end (the run stopped): left for the next run
        row["ocr_error"] = f"skipped: {outcome.error}"
    else:
        row.update(ocr_success=False, ocr_error=outcome.error or outcome.status)
        if outcome.status == FATAL:
            row["ocr_error"] = f"fatal: {row['ocr_error']}"
    return row


@dataclass
class PageOcrTask:
    """On a worker: an extracted document's failing pages OCR'd and merged into its outputs."""

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

        def process(path: str) -> dict:
            stem = self.stems[path]
            started = time.perf_counter()
            json_path = layout.docling_json(stem)
            if not json_path.exists():
                raise PermanentError(f"no Docling JSON to OCR pages into: {json_path} (extract first)")
            data = load_docling_json(json_path)
            signals = _extract_signals(layout, stem, data, path)
            try:
                merged = ocr_and_merge(extractor, path, data, signals, asked)
            except ConversionFailed as exc:
                raise PermanentError(str(exc)) from exc
            if merged is None:  # flagged, yet no page has a reason: nothing to replace
                merged = {"doc": None, "data": data, "pages": {}, "conv": None}
            doc, data = merged["doc"], merged["data"]
            if doc is not None:
                clean_document(doc)
                markdown = doc.export_to_markdown()
            else:
                markdown = layout.markdown(stem).read_text(encoding="utf-8")
            new_signals = triage(markdown, data, True, pdf_path=path)
            new_signals.pop("scanned_page_numbers")
            conv = merged["conv"]
            result = {"page_count": len(data.get("pages") or {}), "extract_sec": round(time.perf_counter() - started, 4),
                      "extraction_backend": signals.get("extraction_backend") or "unknown",
                      **text_stats(markdown), **new_signals, "needs_ocr": False,
                      "ocr_pages": len(merged["pages"]), "ocr_engine": conv.backend if conv else self.ocr_engine,
                      "ocr_sec": round(conv.seconds, 4) if conv else 0.0}
            sidecar = {**{k: v for k, v in signals.items() if k != "needs_ocr"}, "stem": stem,
                       "source": os.path.abspath(path), "ocr_worker": ctx.label, "ocr_device": device,
                       "finished_at": time.time(), **result,
                       "ocr_page_reasons": {str(p): r for p, r in merged["pages"].items()}}
            metrics = None
            if not self.benchmark_mode:
                metrics = {**result, "timings": conv.timings if conv else {}, "per_page": per_page_stats(data)}
                add_page_sources(metrics, data, conv.timings if conv else {})
            write_artifacts(layout, stem, data, markdown, sidecar, metrics)
            return result

        return process


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
    `options`, or `option_fields` (OcrOptions' names) to build it."""
    from ..state import SkipList
    from .runner import run_on_pool

    options = options or build(OcrOptions, **option_fields)
    ocr_options, benchmark_mode = options.engine_options(), options.benchmark_mode
    ocr_langs, whole_document = options.ocr_langs, options.whole_document
    layout = OutputLayout(out_dir)
    stem_of = {r["path"]: r["stem"] for r in rows}
    engine = ocr_preflight(options.ocr_engine, ocr_langs, ocr_options, log=log)  # before any worker starts
    if whole_document:
        task = ExtractTask(str(layout.root), stem_of, force_ocr=True, accel_type=accel_type, ocr_engine=engine,
                           ocr_langs=ocr_langs, ocr_options=dict(ocr_options or {}), benchmark_mode=benchmark_mode)
    else:
        task = PageOcrTask(str(layout.root), stem_of, engine, ocr_langs, accel_type, dict(ocr_options or {}),
                           benchmark_mode)
    return run_on_pool(task, stem_of, config, ProgressStore(layout.store_dir), SkipList(layout.skiplist),
                       ocr_row, on_summary, on_pool)
