"""Run configuration of the assets (what a user sets in the launchpad or run config)."""

from dagster import Config
from pydantic import Field


class DownloadResultsConfig(Config):
    input_format: str = Field("pdf", description="pdf, docx, html, xml, md, pptx, or all")
    shard_size: int = Field(1000, description="Up to this many new files per shard (partition)")


class ExtractConfig(Config):
    pipeline: str = Field("native", description="Docling pipeline: native (no weights), standard, or auto")
    artifacts_path: str | None = Field(None, description="Folder with Docling's model weights (standard)")
    benchmark_mode: bool = Field(False, description="Skip the per-document and per-page metrics files")
    reprocess: bool = Field(False, description="Extract problematic documents again")
