"""Run configuration of the assets (what a user sets in the launchpad or run config)."""

from dagster import Config
from pydantic import Field


class DownloadResultsConfig(Config):
    input_format: str = Field("pdf", description="pdf, docx, html, xml, md, pptx, or all")
    shard_size: int = Field(1000, description="Up to this many new files per shard (partition)")


class ExtractConfig(Config):
    phase1_backend: str = Field("docling", description="docling, safe (pypdfium2, fast) or auto (GlossAPI's names)")
    pipeline: str = Field("native", description="Docling pipeline: native (no weights), standard, or auto")
    force_ocr: bool = Field(False, description="OCR every page with RapidOCR, ignoring the text layer")
    math_requested: bool = Field(False, description="Phase 2 will follow: 'auto' then takes Docling")
    artifacts_path: str | None = Field(None, description="Folder with Docling's model weights (standard)")
    benchmark_mode: bool = Field(False, description="Skip the per-document and per-page metrics files")
    reprocess: bool = Field(False, description="Extract problematic documents again")
    max_pages: int | None = Field(None, description="Page budget per document in the safe backend (more pages: problematic)")
    page_time_budget: float = Field(20.0, description="Seconds one page may take in the safe backend")
