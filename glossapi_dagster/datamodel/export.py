"""The options of GlossAPI's clean() and of the training export (jsonl, jsonl_sharded, parquet),
declared once, as every phase's are (options.py): Corpus, the CLI and the assets' Config classes
(defs/export/config.py) are made from these."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

FORMATS = ("jsonl", "jsonl_sharded", "parquet")
SHARD_SIZE = 500 * 1024 * 1024
NEAR_THRESHOLD = 0.8   # measured on the test corpus (BENCHMARKS.md, "Training export")


class CleanOptions(BaseModel):
    """cleaned_docs: GlossAPI's Corpus.clean gates over the triage columns (clean_store checks them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(0.10, description="mojibake_badness_score above this flags a PDF (GlossAPI's 0.10)")
    drop_bad: bool = Field(True, description="Keep the documents that need OCR out of the training export")
    empty_char_threshold: int = Field(0, description="Fewer characters than this flags a PDF (0: only empty ones)")
    empty_min_pages: int = Field(0, description="...when it has at least this many pages (GlossAPI's meaning)")


class ExportOptions(BaseModel):
    """training_dataset: the usable, deduplicated documents as JSONL or parquet shards. `check()`
    says what is wrong before any work (GlossAPI's words where it has them); the export sets
    `provenance` itself."""

    model_config = ConfigDict(extra="forbid")

    # in the order of the dataclass it was: params() (what the shards depend on) keeps its order
    format: str = Field("jsonl_sharded", description="jsonl_sharded (zstd JSONL shards), parquet, or jsonl (one file)")
    shard_size_bytes: int = Field(SHARD_SIZE, description="Uncompressed bytes a shard holds at most")
    shard_prefix: str = Field("train", description="Shard names: <prefix>-000000.jsonl.zst, <prefix>-00000-of-N.parquet")
    compression: str = Field("zstd", description="JSONL: zstd or none (parquet: always zstd)")
    compression_level: int = Field(3, description="zstd level")
    text_key: str = Field("document", description="JSONL key of the text (GlossAPI's default)")
    metadata_key: str | None = Field(None, description="Nest the metadata under this key (default: beside the text)")
    metadata_fields: list[str] | None = Field(None, description="Metadata columns under metadata_key (default: all)")
    include_remaining_metadata: bool = Field(True, description="With metadata_key: the other columns at top level")
    dedup: bool = Field(True, description="Leave exact and near duplicates out (the kept record lists them)")
    near_threshold: float = Field(NEAR_THRESHOLD, description="MinHash Jaccard at or above which two texts are "
                                                              "near duplicates")
    file_name: str | None = Field(None, description="format jsonl: the file's name in dest (default export.jsonl)")
    by_section: bool = Field(False, description="One record per section (header, section, predicted_section), "
                                                "from annotate()'s output")
    exclude_sections: list[str] | None = Field(None, description="Sections left out of the text, by GlossAPI's "
                                                                 "label or its name (β, bibliography, π, index...)")
    metadata_path: str | None = Field(None, description="JSONL: a parquet whose row for a document (by filename) "
                                                        "is its metadata, over the store's columns (GlossAPI's)")
    source_metadata_key: str | None = Field(None, description="JSONL: put source_metadata_fields under this key")
    source_metadata_fields: list[str] | None = Field(None, description="JSONL: the fields of source_metadata_path's "
                                                                       "row for a document (each required)")
    source_metadata_path: str | None = Field(None, description="JSONL: the parquet those fields come from, "
                                                               "matched by filename")
    provenance: list | None = Field(None, description="Set by the export: the link lists' columns "
                                                      "(parquet columns too)")

    def check(self) -> None:
        if self.format == "jsonl":  # GlossAPI's jsonl(): one plain file
            self.compression = "none"
            self.file_name = self.file_name or "export.jsonl"
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.shard_size_bytes <= 0:
            raise ValueError("shard_size_bytes must be positive")
        if self.compression.lower() not in ("zstd", "none"):
            raise ValueError(f"Unsupported compression codec '{self.compression}'")
        if not self.shard_prefix or "/" in self.shard_prefix:
            raise ValueError(f"shard_prefix must be a plain name, got {self.shard_prefix!r}")
        if not 0 < self.near_threshold <= 1:  # checked before any work, not by the deduplicator mid-run
            raise ValueError(f"near_threshold must be in (0, 1], got {self.near_threshold}")
        # GlossAPI's rules for the source metadata join, in its words
        if self.source_metadata_key and self.source_metadata_path is None:
            raise ValueError("source_metadata_path must be provided when source_metadata_key is set")
        if self.source_metadata_key and self.source_metadata_fields is None:
            raise ValueError("source_metadata_fields must be provided when source_metadata_key is set")
        if self.source_metadata_path and not self.source_metadata_key:
            raise ValueError("source_metadata_key must be provided when source_metadata_path is set")
        if self.source_metadata_fields and not self.source_metadata_key:
            raise ValueError("source_metadata_key must be provided when source_metadata_fields are set")

    def params(self) -> dict:
        """What the shard files depend on: a change rewrites them all."""
        return {k: v for k, v in self.model_dump().items() if k not in ("dedup", "near_threshold")} | {
            "dedup": self.dedup, "near_threshold": self.near_threshold if self.dedup else None}
