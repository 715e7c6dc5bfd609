"""OCR remediation on a worker: PageOcrTask, unpickled in each worker process, OCRs the failing
pages of an extracted document and merges them into its outputs (finished by phases/finish.py);
of a long document, a range's pages into a part the controller merges. The controller's side is
phases/ocr.py."""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..backends.extract.base import ConversionFailed
from ..backends.ocr.engines import build_engine
from ..backends.ocr.pages import merge_ocr_pages, ocr_needed_pages
from ..backends.ocr.tesseract import parse_langs
from ..pool import PermanentError, WorkerContext
from ..state import OutputLayout
from ..state.artifacts import load_docling_json
from ..state.ranges import RangeJournal
from .finish import extraction_signals, finish_page_ocr
from .ranges import PageRange
from .stitch import write_part
from .task_options import OptionsView, Resolved

PAGES_PHASE = "ocr"  # the journal of a long document's OCR'd ranges (its parts: the pages OCR'd)


@dataclass
class PageOcrTask:
    """On a worker: an extracted document's failing pages OCR'd and merged into its outputs; of a
    long document, a page range's failing pages OCR'd into a part the controller merges."""

    out_dir: str
    stems: dict                      # absolute path -> stem
    options: OptionsView             # OcrOptions, read-only (phases/task_options.py)
    resolved: Resolved               # the accel type, the engine chosen, its settings

    def setup(self, ctx: WorkerContext):
        options, resolved = self.options, self.resolved
        device = "cpu" if resolved.accel_type == "cpu" or ctx.cuda_id is None else "cuda:0"
        extractor = build_engine(resolved.ocr_engine, ctx.threads, device, ctx.log, resolved.ocr_options,
                                 options.ocr_langs)
        ctx.log.info("ocr pages engine=%s langs=%s device=%s threads=%d", resolved.ocr_engine, options.ocr_langs,
                     device, ctx.threads)
        layout = OutputLayout(self.out_dir)
        asked = parse_langs(options.ocr_langs)

        def ocr(path: str, within: range | None = None):
            """(stem, extracted JSON, signals, (conv, {page: reasons}) or None)."""
            stem = self.stems[path]
            json_path = layout.docling_json(stem)
            if not json_path.exists():
                raise PermanentError(f"no Docling JSON to OCR pages into: {json_path} (extract first)")
            data = load_docling_json(json_path)
            signals = extraction_signals(layout, stem, data, path)
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
                                   ctx.label, device, resolved.ocr_engine, options.benchmark_mode)

        return process


def ocr_record(conv, pages: dict) -> dict:
    """What an OCR conversion did, as the ranges' parts and merge_ocr_infos carry it."""
    return {"pages": pages, "engine": conv.backend, "seconds": conv.seconds, "timings": conv.timings, "merged": True,
            "repairs": conv.repairs or {}, "page_quality": conv.page_quality or {}}
