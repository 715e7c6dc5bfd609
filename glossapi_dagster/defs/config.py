"""Run configuration of the assets (what a user sets in the launchpad or run config)."""

from dagster import Config
from pydantic import Field

from ..phases.ranges import MAX_FAILED_PAGE_SHARE, MAX_PAGES_PER_UNIT


class DownloadResultsConfig(Config):
    input_format: str = Field("pdf", description="pdf, docx, html, xml, md, pptx, or all")
    shard_size: int = Field(1000, description="Up to this many new files per shard (partition)")


class ExtractConfig(Config):
    phase1_backend: str = Field("docling", description="docling, safe (pypdfium2, fast) or auto (GlossAPI's names)")
    pipeline: str = Field("native", description="Docling pipeline: native (no weights), standard, or auto")
    force_ocr: bool = Field(False, description="OCR every page, ignoring the text layer")
    do_ocr: bool = Field(False, description="OCR only the pages whose text layer fails (scanned, empty, garbled)")
    ocr_engine: str = Field("auto", description="rapidocr, tesseract, or auto (RapidOCR when its recogniser "
                                                "has Greek, else Tesseract)")
    ocr_langs: str = Field("ell+eng", description="Tesseract languages, e.g. ell+eng+grc (grc is added for a "
                                                  "polytonic text layer)")
    math_requested: bool = Field(False, description="Phase 2 will follow: 'auto' then takes Docling")
    artifacts_path: str | None = Field(None, description="Folder with Docling's model weights (standard)")
    benchmark_mode: bool = Field(False, description="Skip the per-document and per-page metrics files")
    reprocess: bool = Field(False, description="Extract problematic documents again")
    max_pages: int | None = Field(None, description="Page budget per document in the safe backend (more pages: problematic)")
    page_time_budget: float = Field(20.0, description="Seconds one page may take in the safe backend")
    # issue 18: long documents as page ranges (defaults in phases/ranges.py)
    max_pages_per_unit: int | None = Field(MAX_PAGES_PER_UNIT, description="A longer PDF is split into ranges of "
                                           "this many pages, each a queue item (None: never split)")
    max_failed_page_share: float = Field(MAX_FAILED_PAGE_SHARE, description="A long document with more failed "
                                         "pages than this share is problematic; fewer are listed in failed_pages")


class OcrConfig(Config):
    """ocr_docs: the pages that need it of the documents triage flagged needs_ocr."""

    ocr_engine: str = Field("auto", description="rapidocr, tesseract, or auto (RapidOCR when its recogniser "
                                                "has Greek, else Tesseract)")
    ocr_langs: str = Field("ell+eng", description="Tesseract languages, e.g. ell+eng+grc (grc is added for a "
                                                  "polytonic text layer)")
    whole_document: bool = Field(False, description="OCR every page of a flagged document (GlossAPI's ocr_bad), "
                                                    "not only the pages that need it")
    dpi: int | None = Field(None, description="Render resolution of each page for OCR (None: 200)")
    max_side_len: int | None = Field(None, description="Longest side of a rendered page in pixels "
                                                       "(None: 2000 RapidOCR, 4000 Tesseract)")
    max_pages: int | None = Field(None, description="OCR only the first N pages of each document (None: all)")
    use_cls: bool = Field(False, description="Run RapidOCR's text-direction classifier (rotated lines)")
    model_dir: str | None = Field(None, description="Folder with det/rec/cls ONNX models and keys "
                                                    "(default: GLOSSAPI_RAPIDOCR_ONNX_DIR, else rapidocr's bundled)")
    det_model: str | None = Field(None, description="Explicit detection model (.onnx)")
    rec_model: str | None = Field(None, description="Explicit recognition model (.onnx), e.g. Greek PP-OCRv5")
    cls_model: str | None = Field(None, description="Explicit direction classifier (.onnx)")
    keys: str | None = Field(None, description="Keys (character list) file of the recognition model")
    reprocess: bool = Field(False, description="OCR again documents whose OCR failed before")
    benchmark_mode: bool = Field(False, description="Skip the per-document and per-page metrics files")

    def ocr_options(self) -> dict:
        """OcrExtractor's keyword arguments."""
        return {"dpi": self.dpi, "max_side_len": self.max_side_len, "max_pages": self.max_pages,
                "use_cls": self.use_cls, "model_dir": self.model_dir, "det_model": self.det_model,
                "rec_model": self.rec_model, "cls_model": self.cls_model, "keys": self.keys}


class MathConfig(Config):
    """math_enriched: the formulas of every extracted PDF decoded to LaTeX (Phase 2)."""

    math_engine: str = Field("auto", description="textlayer (the PDF's glyphs, no model), codeformula (Docling's "
                                                 "CodeFormulaV2 on the GPUs), or auto (codeformula where its weights "
                                                 "are present, else textlayer)")
    math_batch_size: int = Field(8, description="Formulas per model call (codeformula)")
    artifacts_path: str | None = Field(None, description="Folder with Docling's model weights (CodeFormulaV2)")
    reprocess: bool = Field(False, description="Enrich again documents already enriched, or that failed")
    respawn_cap: int | None = Field(None, description="Respawns allowed per math worker (None: "
                                                      "GLOSSAPI_MATH_RESPAWN_CAP, default 5; 0: never respawn)")
    crash_stems: list[str] = Field([], description="Test only, with math_engine='crash': kill the worker on these stems")
    crash_delay: float = Field(0.0, description="Test only, with math_engine='crash': seconds to wait per document")
