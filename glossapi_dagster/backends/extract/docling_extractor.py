"""Docling as the Phase-1 extraction backend: one DocumentConverter per worker, built at start.

pipeline='native'   NativePdfPipeline: the PDF's own text cells, no model weights (runs here).
pipeline='standard' StandardPdfPipeline: layout + table models from the local caches, on cuda:0.
pipeline='auto'     standard where its weights are present, else native with one warning.
Non-PDF inputs go through Docling's own converters for their format.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from .base import Conversion, ConversionFailed, failure_reason

PIPELINES = ("native", "standard", "auto")

# What StandardPdfPipeline loads, by Hugging Face repo id (docling's own download names).
STANDARD_MODELS = {
    "layout": "docling-project/docling-layout-heron",
    "table structure": "docling-project/docling-models",
}


class ModelWeightsMissing(RuntimeError):
    """The chosen pipeline needs model weights that are not on this machine."""


def _cache_roots(artifacts_path: str | None) -> list[Path]:
    roots = [artifacts_path, os.environ.get("DOCLING_CACHE_DIR")]
    hf_home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
    )
    roots.append(os.path.join(hf_home, "hub"))
    return [Path(r) for r in roots if r]


def missing_standard_models(artifacts_path: str | None = None) -> list[str]:
    """The StandardPdfPipeline models found in none of the cache folders (by repo id)."""
    missing = []
    for name, repo in STANDARD_MODELS.items():
        folders = (repo.replace("/", "--"), "models--" + repo.replace("/", "--"))
        if not any((root / f).is_dir() for root in _cache_roots(artifacts_path) for f in folders):
            missing.append(f"{name} model {repo}")
    return missing


def _missing_message(missing: list[str], artifacts_path: str | None, cause: Exception | None = None) -> str:
    where = ", ".join(str(r) for r in _cache_roots(artifacts_path))
    msg = (
        f"pipeline='standard' needs {', '.join(missing)}, not found in {where}. "
        "Download them where there is internet (`docling-tools models download -o DIR`), copy DIR here "
        "and set artifacts_path (or DOCLING_CACHE_DIR) to it, or use pipeline='native'."
    )
    return f"{msg} ({type(cause).__name__}: {cause})" if cause else msg


class DoclingExtractor:
    def __init__(
        self,
        pipeline: str = "native",
        threads: int = 1,
        device: str = "cpu",
        artifacts_path: str | None = None,
        log: logging.Logger | None = None,
    ):
        if pipeline not in PIPELINES:
            raise ValueError(f"pipeline must be one of {PIPELINES}, got {pipeline!r}")
        log = log or logging.getLogger(__name__)
        if pipeline == "auto":
            missing = missing_standard_models(artifacts_path)
            pipeline = "native" if missing else "standard"
            if missing:
                log.warning("pipeline='auto': %s; using the native pipeline", _missing_message(missing, artifacts_path))
        self.pipeline = pipeline
        self.converter = self._build(pipeline, threads, device, artifacts_path)

    @staticmethod
    def _build(pipeline: str, threads: int, device: str, artifacts_path: str | None):
        from docling.datamodel.accelerator_options import AcceleratorOptions
        from docling.datamodel.base_models import InputFormat
        from docling.document_converter import DocumentConverter, PdfFormatOption

        if pipeline == "native":
            from docling.datamodel.pipeline_options import NativePdfPipelineOptions
            from docling.pipeline.native_pdf_pipeline import NativePdfPipeline

            # The parser threads are the only parallelism this pipeline has.
            options = NativePdfPipelineOptions(
                parser_threads=threads, generate_page_images=False, generate_picture_images=False
            )
            pdf = PdfFormatOption(pipeline_cls=NativePdfPipeline, pipeline_options=options)
        else:
            from docling.datamodel.pipeline_options import PdfPipelineOptions

            missing = missing_standard_models(artifacts_path)
            if missing:
                raise ModelWeightsMissing(_missing_message(missing, artifacts_path))
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never hang on a download mid-run
            options = PdfPipelineOptions(
                do_ocr=False,
                do_table_structure=True,
                artifacts_path=artifacts_path,
                accelerator_options=AcceleratorOptions(num_threads=threads, device=device),
            )
            pdf = PdfFormatOption(pipeline_options=options)
        converter = DocumentConverter(format_options={InputFormat.PDF: pdf})
        try:
            converter.initialize_pipeline(InputFormat.PDF)  # load weights now, once, not on the first file
        except Exception as exc:
            if pipeline == "standard":
                raise ModelWeightsMissing(_missing_message(list(STANDARD_MODELS), artifacts_path, exc)) from exc
            raise
        return converter

    def convert(self, path: str | Path, page_range: tuple[int, int] | None = None,
                kind: str | None = None) -> Conversion:
        """Convert one file (or its pages first..last, which keep their numbers); raises
        ConversionFailed with a reason a person can act on. `kind`: what the bytes are (pdf,
        docx, html, ...; state/filetype.py), which decides over the name's extension."""
        from docling.datamodel.base_models import ConversionStatus

        started = time.perf_counter()
        pages = {"page_range": page_range} if page_range else {}
        kind = kind or Path(path).suffix.lower().lstrip(".")
        try:
            result = self.converter.convert(_source(path, kind), raises_on_error=False, **pages)
        except Exception as exc:
            raise ConversionFailed(failure_reason(path, f"{type(exc).__name__}: {exc}")) from exc
        if result.status not in (ConversionStatus.SUCCESS, ConversionStatus.PARTIAL_SUCCESS):
            detail = "; ".join(e.error_message for e in result.errors) or str(result.status)
            raise ConversionFailed(failure_reason(path, detail))
        timings = {k: float(sum(v.times)) for k, v in (getattr(result, "timings", None) or {}).items()}
        doc = result.document
        repairs = None
        if kind == "pdf":  # Greek pdfium reads where docling-parse garbles it, the text stage, furniture
            from .docling_repairs import repair_document

            repairs = repair_document(doc, path)
            if self.pipeline == "native":  # one item a line: a paragraph's lines joined into one
                from .native_paragraphs import join_native_lines

                doc = join_native_lines(doc)
        else:  # a DOCX's, an HTML's text has no pages to record a Greek repair on: the clean alone
            from ..text_stage import normalise_document

            normalise_document(doc, repair=False)
        seconds = time.perf_counter() - started
        return Conversion(doc, len(doc.pages) or len(result.pages), seconds, f"docling-{self.pipeline}", timings,
                          repairs=repairs)


def _source(path: str | Path, kind: str):
    """What Docling converts: the path, or where its extension says another kind than the bytes
    (Docling takes a text format's kind from the extension), the bytes under a name that says it."""
    if Path(path).suffix.lower().lstrip(".") == kind or (kind == "html" and Path(path).suffix.lower() in (".htm", ".xhtml")):
        return path
    from io import BytesIO

    from docling.datamodel.base_models import DocumentStream

    return DocumentStream(name=f"{Path(path).stem}.{kind}", stream=BytesIO(Path(path).read_bytes()))
