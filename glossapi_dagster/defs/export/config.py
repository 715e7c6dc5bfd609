"""Run configuration of the export assets: clean's gates and the training dataset's options."""

from dagster import Config
from pydantic import Field

from ...export.dataset import SHARD_SIZE
from ...export.dedup import NEAR_THRESHOLD


class CleanConfig(Config):
    """cleaned_docs: GlossAPI's Corpus.clean gates over the triage columns."""

    threshold: float = Field(0.10, description="mojibake_badness_score above this flags a PDF (GlossAPI's 0.10)")
    drop_bad: bool = Field(True, description="Keep the documents that need OCR out of the training export")
    empty_char_threshold: int = Field(0, description="Fewer characters than this flags a PDF (0: only empty ones)")
    empty_min_pages: int = Field(0, description="...when it has at least this many pages (GlossAPI's meaning)")


class ExportConfig(Config):
    """training_dataset: the usable, deduplicated documents as JSONL or parquet shards."""

    dest: str | None = Field(None, description="Folder of the dataset (default: OUT/export/<format>)")
    format: str = Field("jsonl_sharded", description="jsonl_sharded (zstd JSONL shards), parquet, or jsonl (one file)")
    file_name: str | None = Field(None, description="format jsonl: the file's name in dest (default export.jsonl)")
    shard_size_bytes: int = Field(SHARD_SIZE, description="Uncompressed bytes a shard holds at most")
    shard_prefix: str = Field("train", description="Shard names: <prefix>-000000.jsonl.zst, <prefix>-00000-of-N.parquet")
    compression: str = Field("zstd", description="JSONL: zstd or none (parquet: always zstd)")
    compression_level: int = Field(3, description="zstd level")
    text_key: str = Field("document", description="JSONL key of the text (GlossAPI's default)")
    metadata_key: str | None = Field(None, description="Nest the metadata under this key (default: beside the text)")
    metadata_fields: list[str] | None = Field(None, description="Metadata columns under metadata_key (default: all)")
    include_remaining_metadata: bool = Field(True, description="With metadata_key: the other columns at top level")
    dedup: bool = Field(True, description="Leave exact and near duplicates out (the kept record lists them)")
    near_threshold: float = Field(NEAR_THRESHOLD, description="MinHash Jaccard at or above which two texts are near duplicates")
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
