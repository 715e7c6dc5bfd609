"""section(): the markdown of many documents to OUT/sections/sections_for_annotation.parquet, a
document at a time, a row group at a time (memory does not grow with the corpus).

The columns are GlossAPI's, in its order and types (id, row_id, filename, has_table, has_list,
has_other, has_text, header, place, section, json_section, section_length, section_propo), then
three of this project's that make the document recoverable from its sections: header_line,
header_level, header_source.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from ..state.layout import OutputLayout
from .markdown import Section, split_sections

SECTIONS_FILE = "sections_for_annotation.parquet"
ROW_GROUP_ROWS = 4096
ROW_GROUP_BYTES = 32 << 20

_S, _I, _B = pa.string(), pa.int64(), pa.bool_()
SCHEMA = pa.schema([
    ("id", _I), ("row_id", _S), ("filename", _S), ("has_table", _B), ("has_list", _B), ("has_other", _B),
    ("has_text", _B), ("header", _S), ("place", _S), ("section", _S), ("json_section", _S),
    ("section_length", _I), ("section_propo", _I),
    # this project's: the markup that opened the section, its level, and who said it is a heading
    ("header_line", _S), ("header_level", _I), ("header_source", _S),
])
SECTION_COLUMNS_OF_GLOSSAPI = SCHEMA.names[:13]


@dataclass
class SectionReport:
    path: str
    documents: int = 0
    sections: int = 0
    empty: list = field(default_factory=list)        # stems whose markdown has no text
    missing: list = field(default_factory=list)      # stems without a markdown file
    docling_headers: int = 0                          # sections opened by the Docling JSON, not by '#'
    seconds: float = 0.0


def sections_path(out_dir) -> Path:
    return OutputLayout(out_dir).root / "sections" / SECTIONS_FILE


def docling_headers(layout: OutputLayout, stem: str) -> list[str]:
    """The body's section headers and titles of a stem's Docling JSON ([] when there is none)."""
    path = layout.docling_json(stem)
    if not path.is_file():
        return []
    try:
        data = path.read_bytes()
        if path.suffix == ".zst":
            import zstandard

            data = zstandard.ZstdDecompressor().decompress(data)
        if b"section_header" not in data and b'"title"' not in data:  # nothing to look for: no parse
            return []
        import orjson

        doc = orjson.loads(data)
    except Exception:  # a damaged JSON costs the document its lost headings, not its sections
        return []
    return [t.get("text") or "" for t in doc.get("texts", [])
            if t.get("label") in ("section_header", "title") and t.get("content_layer", "body") == "body"]


def rows_of(stem: str, sections: list[Section], n_lines: int, first_id: int) -> list[dict]:
    """GlossAPI's rows of one document (ids from first_id)."""
    total = sum(s.length for s in sections)
    rows = []
    for k, s in enumerate(sections):
        rid = first_id + k
        rows.append({
            "id": rid, "row_id": f"row_{rid}", "filename": stem, "has_table": s.has("table"),
            "has_list": s.has("list"), "has_other": s.has("other"), "has_text": s.has("text"),
            "header": s.header, "place": f"{s.start / n_lines:.2f}-{s.end / n_lines:.2f}",
            "section": s.section, "json_section": s.json_section(), "section_length": s.length,
            "section_propo": round(s.length / total * 1000) if total else 0,
            "header_line": s.header_line, "header_level": s.header_level, "header_source": s.header_source,
        })
    return rows


def section_corpus(out_dir, stems: Iterable[str], use_docling_headers: bool = True,
                   dest: Path | None = None) -> SectionReport:
    """Every stem's markdown (OUT/markdown/<stem>.md, Phase 2's when it ran) cut into sections,
    in stem order, written to dest (default OUT/sections/sections_for_annotation.parquet) through
    a temporary file: a reader never sees half a file."""
    started = time.monotonic()
    layout = OutputLayout(out_dir)
    dest = Path(dest) if dest else sections_path(out_dir)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    report = SectionReport(str(dest))
    writer = pq.ParquetWriter(tmp, SCHEMA, compression="zstd")
    pending: list[dict] = []
    size = 0
    try:
        for stem in sorted(set(stems)):
            try:  # newline="": the text as written, "\r\n" included, so that the sections give it back
                with open(layout.markdown(stem), encoding="utf-8", newline="") as f:
                    text = f.read()
            except FileNotFoundError:
                report.missing.append(stem)
                continue
            headers = docling_headers(layout, stem) if use_docling_headers else None
            sections = split_sections(text, headers)
            if not sections:
                report.empty.append(stem)
                continue
            rows = rows_of(stem, sections, sections[-1].end + 1, report.sections + 1)  # the last ends the text
            report.documents += 1
            report.sections += len(rows)
            report.docling_headers += sum(s.header_source == "docling" for s in sections)
            pending += rows
            size += len(text) * 2
            if len(pending) >= ROW_GROUP_ROWS or size >= ROW_GROUP_BYTES:
                writer.write_table(pa.Table.from_pylist(pending, schema=SCHEMA))
                pending, size = [], 0
        if pending:
            writer.write_table(pa.Table.from_pylist(pending, schema=SCHEMA))
        writer.close()
        os.replace(tmp, dest)
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    report.seconds = time.monotonic() - started
    return report
