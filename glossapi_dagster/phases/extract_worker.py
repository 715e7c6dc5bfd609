"""Phase 1 on a worker: ExtractTask, unpickled in each worker process, converts a document (or
pages of it) with the backend its bytes call for, OCRs the pages that need it where asked, and
finishes it (phases/finish.py). The controller's side is phases/extract.py."""
from __future__ import annotations

import os

from ..backends.extract.base import ConversionFailed
from ..backends.extract.docling_extractor import DoclingExtractor
from ..backends.ocr.engines import build_engine
from ..backends.ocr.pages import ocr_and_merge
from ..backends.ocr.readability import merge_repairs
from ..backends.ocr.tesseract import parse_langs
from ..backends.quality.triage import triage
from ..backends.page_joins import markdown_of
from ..backends.text_stage import normalise_document
from ..pool import PermanentError, WorkerContext
from ..state import OutputLayout
from ..state.filetype import sniff_file
from ..state.ranges import RangeJournal
from .finish import finish_document
from .ranges import PageRange
from .stitch import write_part
from .task_options import OptionsView, Resolved


def torch_device(ctx: WorkerContext, accel_type: str = "cuda") -> str:
    """cuda:0 for a bound GPU worker when CUDA is really there; the CPU otherwise."""
    if accel_type == "cpu" or ctx.cuda_id is None:
        return "cpu"
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


BUDGETS = ("page budget", "time budget")  # how the safe backend words a budget it refused

OCR_BACKENDS = ("rapidocr", "tesseract")


class ExtractTask:
    """Phase 1's Task: ExtractOptions whole (task.options, a read-only view: phases/task_options.py)
    and what the controller resolved (task.resolved: the accel type, the OCR engine, the registered
    backends). Built on the controller, from an ExtractOptions or its fields by name (validated
    there); a worker only unpickles it, never importing pydantic."""

    def __init__(self, out_dir: str, stems: dict, options=None, *, accel_type: str = "cuda",
                 ocr_engine: str = "rapidocr", ocr_options: dict | None = None, extra_backends: dict | None = None,
                 ranges_phase: str = "extract", **option_fields):
        if options is None:  # a bad choice is refused here, on the controller, not as a KeyError in a worker
            from ..datamodel import ExtractOptions, build

            options = build(ExtractOptions, **option_fields)
        self.out_dir = out_dir
        self.stems = stems                   # absolute path -> stem
        self.options = OptionsView.of(options)
        self.resolved = Resolved(accel_type, ocr_engine, dict(ocr_options or {}), dict(extra_backends or {}))
        self.ranges_phase = ranges_phase     # whose journal a long document's parts go to (OCR's whole_document: its own)

    def backend_for(self, path: str, kind: str | None = None) -> str:
        """`kind`: what the file's bytes are (state/filetype.py); its name's extension if not given."""
        is_pdf = (kind or os.path.splitext(path)[1].lower().lstrip(".")) == "pdf"
        options = self.options
        if options.force_ocr and is_pdf:  # pages to OCR: PDFs only; other formats keep their converter
            return "ocr"
        if options.phase1_backend == "safe" and is_pdf:
            return "safe"
        if options.phase1_backend in self.resolved.extra_backends:
            return options.phase1_backend
        if options.phase1_backend == "auto" and is_pdf and not options.math_requested:
            return "safe"
        return "docling"

    def setup(self, ctx: WorkerContext):
        options, resolved = self.options, self.resolved
        # where each backend runs; torch is imported only for Docling, so 'safe' workers start fast
        devices = {"safe": "cpu", "ocr": "cpu" if resolved.accel_type == "cpu" or ctx.cuda_id is None else "cuda:0"}
        builders = {
            "docling": lambda: DoclingExtractor(options.pipeline, ctx.threads, devices["docling"], options.artifacts_path,
                                                ctx.log),
            "safe": lambda: _safe_extractor(ctx, options.max_pages, options.page_time_budget),
            "ocr": lambda: build_engine(resolved.ocr_engine, ctx.threads, devices["ocr"], ctx.log, resolved.ocr_options,
                                        options.ocr_langs),
        }
        for name, target in resolved.extra_backends.items():
            builders[name] = lambda target=target: _load_factory(target)(ctx)
            devices[name] = "cpu"
        extractors: dict = {}

        def extractor(kind: str):
            if kind not in extractors:  # once per worker; what is certain to be needed is built now
                if kind == "docling":
                    devices["docling"] = torch_device(ctx, resolved.accel_type)
                extractors[kind] = builders[kind]()
            return extractors[kind]

        first = "ocr" if options.force_ocr else {"docling": "docling", "safe": "safe", "auto": "safe"}.get(
            options.phase1_backend, options.phase1_backend)
        extractor(first)
        if options.do_ocr and not options.force_ocr:
            extractor("ocr")  # the engine loads now: a missing model fails the worker's start
        ctx.log.info("extract backend=%s pipeline=%s device=%s threads=%d", first, options.pipeline, devices[first], ctx.threads)
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
                if kind != "safe" or options.phase1_backend != "auto" or str(exc).startswith(BUDGETS):
                    raise PermanentError(str(exc)) from exc
                ctx.log.warning("safe backend cannot read %s (%s); trying Docling", path, exc)
                kind = "docling"
                try:
                    conv = convert_with(extractor(kind), kind, path, page_range, doc_kind)
                except ConversionFailed as exc2:
                    raise PermanentError(str(exc2)) from exc2
            if kind in self.resolved.extra_backends and conv.markdown is None:
                normalise_document(conv.document, repair=False)  # a registered backend's text: cleaned, as ours is
            markdown = conv.markdown if conv.markdown is not None else markdown_of(conv.document)
            data = conv.to_dict()
            piece = {"markdown": markdown, "data": data, "backend": conv.backend, "pages": conv.page_count,
                     "seconds": conv.seconds, "timings": conv.timings, "repairs": conv.repairs or {},
                     "page_covers": conv.page_covers, "ocr": None, "device": devices[kind],
                     "ends_open": conv.ends_open}
            if conv.backend in OCR_BACKENDS:  # OCR'd already: the signals describe the OCR text
                for page in (data.get("pages") or {}).values():
                    page["source"] = f"ocr:{conv.backend}"
                piece["ocr"] = {"pages": {p: "force_ocr" for p in conv.timings.get("per_page", {})},
                                "engine": conv.backend, "seconds": conv.seconds, "timings": conv.timings,
                                "merged": False, "page_quality": conv.page_quality}
            elif options.do_ocr and is_pdf:
                signals = triage(markdown, data, is_pdf, pdf_path=path, page_covers=conv.page_covers,
                                 repairs=piece["repairs"])
                ocr_info = ocr_and_merge(extractor("ocr"), path, data, signals, parse_langs(options.ocr_langs))
                if ocr_info is not None:
                    # Docling's export: every page break follows the text's rule alone (page_joins)
                    piece.update(data=ocr_info["data"], markdown=markdown_of(ocr_info["doc"]), ends_open=True)
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
            return finish_document(layout, stem, item, convert(item), ctx.label, options.benchmark_mode, sync=False)

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


def _load_factory(target: str):
    from ..datamodel.engines import load_factory

    return load_factory(target)
