"""Phase 1: every document becomes markdown/<stem>.md and json/<stem>.docling.json.zst."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ..backends.docling_extractor import ConversionFailed, DoclingExtractor
from ..backends.text_fixes import clean_document
from ..pool import FATAL, SUCCESS, ItemOutcome, PermanentError, WorkerContext
from ..state import OutputLayout
from .artifacts import per_page_stats, text_stats, write_artifacts


def torch_device(ctx: WorkerContext, accel_type: str = "cuda") -> str:
    """cuda:0 for a bound GPU worker when CUDA is really there; the CPU otherwise."""
    if accel_type == "cpu" or ctx.cuda_id is None:
        return "cpu"
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


@dataclass
class ExtractTask:
    out_dir: str
    stems: dict            # absolute path -> stem
    pipeline: str = "native"
    accel_type: str = "cuda"
    artifacts_path: str | None = None
    benchmark_mode: bool = False

    def setup(self, ctx: WorkerContext):
        device = torch_device(ctx, self.accel_type)
        extractor = DoclingExtractor(self.pipeline, ctx.threads, device, self.artifacts_path, ctx.log)
        ctx.log.info("docling pipeline=%s device=%s threads=%d", extractor.pipeline, device, ctx.threads)
        layout = OutputLayout(self.out_dir)

        def process(path: str) -> dict:
            stem = self.stems[path]
            try:
                conv = extractor.convert(path)
            except ConversionFailed as exc:
                raise PermanentError(str(exc)) from exc
            clean_document(conv.document)
            markdown = conv.document.export_to_markdown()
            stats = text_stats(markdown)
            result = {
                "page_count": conv.page_count,
                "extract_sec": round(conv.seconds, 4),
                "extraction_backend": f"docling-{conv.pipeline}",
                # A first, coarse signal (almost no text per page); triage refines it.
                "needs_ocr": stats["letters"] < 20 * max(1, conv.page_count),
                **stats,
            }
            sidecar = {"stem": stem, "source": os.path.abspath(path), "worker": ctx.label, "device": device,
                       "finished_at": time.time(), **result}
            metrics = None if self.benchmark_mode else {**result, "timings": conv.timings,
                                                       "per_page": per_page_stats(conv.document)}
            write_artifacts(layout, stem, conv.document, markdown, sidecar, metrics)
            return result

        return process


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
    return row


def run_extraction(out_dir, rows: list[dict], config, on_summary=None, on_pool=None, *, pipeline: str = "native",
                   accel_type: str = "cuda", artifacts_path: str | None = None, benchmark_mode: bool = False):
    """Extract the given manifest rows (each with `stem` and `path`) on the pool; returns its report."""
    from ..state import ProgressStore, SkipList
    from .runner import run_on_pool

    layout = OutputLayout(out_dir)
    stem_of = {r["path"]: r["stem"] for r in rows}
    task = ExtractTask(str(layout.root), stem_of, pipeline, accel_type, artifacts_path, benchmark_mode)
    return run_on_pool(task, stem_of, config, ProgressStore(layout.store_dir), SkipList(layout.skiplist),
                       extract_row, on_summary, on_pool)
