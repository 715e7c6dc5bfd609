"""Shard files: zstd JSONL as GlossAPI writes them (train-000000.jsonl.zst), or zstd parquet named
as the Hugging Face Hub expects (train-00000-of-00004.parquet) with typed columns. One record in
memory at a time (parquet: a row group of at most ROW_GROUP_ROWS records or ROW_GROUP_BYTES)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 256
ROW_GROUP_BYTES = 16 << 20

_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()
PARQUET_SCHEMA = pa.schema([
    ("text", _S), ("filename", _S), ("stem", _S), ("doc_id", _S), ("sha256", _S), ("file_ext", _S),
    ("page_count", _I), ("chars", _I), ("words", _I),
    ("percentage_greek", _F), ("latin_percentage", _F), ("polytonic_ratio", _F),
    ("char_count_no_comments", _I), ("mojibake_badness_score", _F), ("garbled_text_score", _F),
    ("is_empty", _B), ("filter", _S), ("needs_ocr", _B), ("empty_pages", _I), ("scanned_pages", _I),
    ("extraction_backend", _S), ("ocr_success", _B), ("ocr_pages", _I),
    ("formula_total", _I), ("math_enriched", _B), ("math_items", _I), ("math_accepted", _I),
    ("path", _S), ("duplicates", pa.list_(_S)),
])


def shard_names(fmt: str, prefix: str, count: int, compression: str = "zstd") -> list[str]:
    if fmt == "parquet":
        return [f"{prefix}-{i:05d}-of-{count:05d}.parquet" for i in range(count)]
    suffix = ".jsonl.zst" if compression == "zstd" else ".jsonl"
    return [f"{prefix}-{i:06d}{suffix}" for i in range(count)]


def shard_pattern(fmt: str, prefix: str) -> re.Pattern:
    """Files an earlier export of this prefix may have left (any count, either compression)."""
    if fmt == "parquet":
        return re.compile(rf"^{re.escape(prefix)}-\d{{5}}-of-\d{{5}}\.parquet$")
    return re.compile(rf"^{re.escape(prefix)}-\d{{6}}\.jsonl(\.zst)?$")


def record_line(record: dict) -> bytes:
    """GlossAPI's JSONL line: json.dumps(record, ensure_ascii=False) and a newline."""
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def _count(value) -> int | None:
    """ocr_pages as a number of pages, however the store holds it (a count, a list, '1,3-4')."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, (list, tuple)):
        return len(value)
    text = str(value).strip()
    if not text:
        return 0
    total = 0
    for part in text.replace(";", ",").split(","):
        lo, _, hi = part.strip().partition("-")
        total += (int(hi) - int(lo) + 1) if hi.strip().isdigit() and lo.strip().isdigit() else 1
    return total


def parquet_row(text: str, meta: dict, stats: dict, provenance: list = ()) -> dict:
    """One parquet row: the text and the typed columns (absent store columns are null), then the
    link list's columns as text (provenance: (parquet name, store name) pairs)."""
    from .provenance import as_text

    row = {name: meta.get(name) for name in PARQUET_SCHEMA.names}
    row.update(text=text, chars=stats["chars"], words=stats["words"], ocr_pages=_count(meta.get("ocr_pages")),
               duplicates=list(meta.get("duplicates") or []))
    for field in PARQUET_SCHEMA:
        value = row[field.name]
        if value is None or field.name in ("text", "duplicates"):
            continue
        try:
            row[field.name] = (str(value) if field.type == _S else int(value) if field.type == _I
                               else float(value) if field.type == _F else bool(value))
        except (TypeError, ValueError):
            row[field.name] = None
    row.update({name: as_text(meta.get(column)) for name, column in provenance})
    return row


class JsonlWriter:
    def __init__(self, path: Path, compression: str = "zstd", level: int = 3):
        self.file = open(path, "wb")
        self.stream = self.file
        if compression == "zstd":
            import zstandard as zstd

            self.stream = zstd.ZstdCompressor(level=level).stream_writer(self.file, closefd=False)

    def write(self, line: bytes, text: str, meta: dict, stats: dict) -> None:
        self.stream.write(line)

    def close(self) -> None:
        if self.stream is not self.file:
            import zstandard as zstd

            self.stream.flush(zstd.FLUSH_FRAME)
            self.stream.close()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()


class ParquetWriter:
    def __init__(self, path: Path, level: int = 3, schema: pa.Schema = PARQUET_SCHEMA, row=parquet_row,
                 provenance: list = ()):
        """row(text, meta, stats, provenance) -> the row of `schema` (a section's: export/sections.py),
        the link list's columns (provenance) appended to it."""
        from .provenance import extend_schema

        self.provenance, self.row = list(provenance), row
        self.schema = extend_schema(schema, self.provenance)
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd", compression_level=level)
        self.rows: list[dict] = []
        self.bytes = 0

    def write(self, line: bytes, text, meta: dict, stats: dict) -> None:
        self.rows.append(self.row(text, meta, stats, self.provenance))
        self.bytes += len(line)
        if len(self.rows) >= ROW_GROUP_ROWS or self.bytes >= ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
        self.rows, self.bytes = [], 0

    def close(self) -> None:
        self._flush()
        self.writer.close()
