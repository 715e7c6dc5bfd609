"""The export: usable documents of OUT -> deduplicated JSONL or parquet shards in DEST, rebuilt
incrementally, with a dataset card.

One document at a time, its bookkeeping on disk (index.py): the store is replayed into the
index; each usable markdown is measured (lengths, digest, MinHash signature) unless its mtime
and size are those the index remembers; duplicates are resolved (dedup.py, on disk too); each
record's size and digest is planned into shards against the last export; only the shards whose
records changed are written. Memory: a constant (a page of rows, a parquet row group, sqlite's
caches) plus the duplicate groups found; not a number of bytes a document.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..datamodel.export import FORMATS, SHARD_SIZE, ExportOptions
from ..state import OutputLayout, ProgressStore
from ..state.atomic import atomic_write_text, file_lock
from .card import CARD, write_card
from .dest import check_dest, unavailable
from .dedup import NUM_PERM, SHINGLE, Deduplicator, normalise
from .index import MEASURE_VERSION, ExportIndex
from .plan import STATE, plan
from .provenance import Counts, Joins, provenance_columns
from .records import build_record, left_out_reason, metadata_of
from .sections import (SECTION_PARQUET_SCHEMA, SectionTexts, annotated_file, excluded, scratch_path, section_parquet_row,
                       section_records)
from .shards import PARQUET_SCHEMA, JsonlWriter, ParquetWriter, record_line, shard_names, shard_pattern
from .verify import expected_stems, verify_export

__all__ = ["ExportOptions", "ExportReport", "checked", "export_dataset", "verify_export", "expected_stems", "FORMATS",
           "SHARD_SIZE"]

LOCK = ".export.lock"  # in DEST: two exports into one folder take turns


@dataclass
class ExportReport:
    dest: str
    format: str
    files: list = field(default_factory=list)       # paths, in order
    records: int = 0
    bytes: int = 0                                  # uncompressed JSONL bytes
    file_bytes: int = 0
    written: int = 0                                # shard files (re)written by this export
    kept: int = 0                                   # shard files an earlier export wrote, left as they were
    texts_read: int = 0                             # markdown files read to measure them (the rest: cached)
    texts_cached: int = 0                           # unchanged since the last export (mtime, size): not read
    records_written: int = 0                        # records in the shards this export wrote
    exact_duplicates: int = 0
    near_duplicates: int = 0
    left_out: dict = field(default_factory=dict)    # reason -> documents
    preview: dict | None = None
    seconds: float = 0.0
    summary: dict = field(default_factory=dict)
    all_excluded: list = field(default_factory=list)  # usable documents whose every section was excluded


def _state_name(opts: ExportOptions) -> str:
    return STATE if opts.format != "jsonl" else f".{opts.file_name}.export_state.json"


def _index_name(opts: ExportOptions) -> str:
    return ".export_index.sqlite" if opts.format != "jsonl" else f".{opts.file_name}.export_index.sqlite"


def checked(opts: ExportOptions) -> ExportOptions:
    """The options checked before any work (sections to exclude by a name GlossAPI knows, too)."""
    opts.check()
    excluded(opts.exclude_sections)  # an unknown name: one clear error before any work
    return opts


def export_dataset(out_dir, dest, opts: ExportOptions | None = None) -> ExportReport:
    """One export at a time into a DEST (its lock): a second waits, then finds the first's shards."""
    opts = checked(opts or ExportOptions())
    started = time.monotonic()
    layout, dest = OutputLayout(out_dir), check_dest(dest, out_dir)
    if not layout.store_dir.is_dir():
        raise FileNotFoundError(f"no progress store in {layout.root}: run extract first")
    store = ProgressStore(layout.store_dir)
    opts.provenance = provenance_columns(layout.store_dir)
    joins = Joins(opts.metadata_path, opts.source_metadata_key, opts.source_metadata_fields, opts.source_metadata_path)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with file_lock(dest / LOCK):
            index = ExportIndex(dest / _index_name(opts))
            source = None
            try:
                if opts.by_section or opts.exclude_sections:
                    source = SectionTexts(layout, annotated_file(layout.root, bool(opts.exclude_sections)),
                                          opts.exclude_sections, scratch_path(dest))
                return _export(layout, store, dest, index, opts, started, joins, source)
            finally:
                index.close()
                if source is not None:
                    source.close()
    except (OSError, sqlite3.OperationalError) as exc:
        fault = unavailable(dest, exc)
        if fault is None:
            raise
        raise fault from exc


def _export(layout: OutputLayout, store: ProgressStore, dest: Path, index: ExportIndex, opts: ExportOptions,
            started: float, joins: Joins, source: SectionTexts | None = None) -> ExportReport:
    report = ExportReport(str(dest), opts.format)
    index.load_store(store)
    left_out: Counter = Counter()
    dedup = Deduplicator(opts.near_threshold, near=True, folder=dest) if opts.dedup else None
    before = _measure(layout, index, dedup, left_out, report, source)
    found = dedup.resolve() if dedup is not None else None
    duplicate_of = found.duplicate_of if found else {}
    duplicates = found.duplicates if found else {}
    store.upsert([{"stem": s, "duplicate_of": duplicate_of.get(s)}  # only what changed
                  for s in sorted(set(before) | set(duplicate_of)) if before.get(s) != duplicate_of.get(s)])

    totals = _plan_records(index, duplicate_of, duplicates, opts, joins, source)
    limit = opts.shard_size_bytes if opts.format != "jsonl" else float("inf")
    shards = plan(index, limit, opts.params(), dest)
    names = ([opts.file_name] if opts.format == "jsonl" else
             shard_names(opts.format, opts.shard_prefix, len(shards), opts.compression.lower()))
    for shard, name in zip(shards, names if shards else []):
        shard.file = name

    # kept files out of the way of new names, changed shards written, the rest removed
    if any(not s.kept_file or s.kept_file != s.file for s in shards):
        index.forget_records()   # killed from here on, the next export trusts no shard file
    moving = {}
    for shard in shards:
        if shard.kept_file and shard.kept_file != shard.file:
            tmp = dest / f".{shard.kept_file}.moving"
            os.replace(dest / shard.kept_file, tmp)
            moving[shard.file] = tmp
    for shard in shards:
        if shard.kept_file:
            if shard.file in moving:
                os.replace(moving[shard.file], dest / shard.file)
            report.kept += 1
        else:
            preview = _write_shard(layout, dest, shard, index, duplicates, opts, joins, source)
            report.preview = report.preview or preview
            report.written += 1
            report.records_written += shard.records
        shard.file_bytes = (dest / shard.file).stat().st_size
    if opts.format == "jsonl" and not shards:  # GlossAPI writes an empty file for an empty corpus
        atomic_write_text(dest / opts.file_name, "")
    final = {s.file for s in shards}
    if opts.format != "jsonl":
        pattern = shard_pattern(opts.format, opts.shard_prefix)
        for stale in dest.iterdir():
            if pattern.match(stale.name) and stale.name not in final:
                stale.unlink()
    index.commit(shards, opts.params())

    report.files = [str(dest / s.file) for s in shards] or ([str(dest / opts.file_name)] if opts.format == "jsonl"
                                                            else [])
    report.records = sum(s.records for s in shards)
    report.bytes = sum(s.size for s in shards)
    report.file_bytes = sum(s.file_bytes for s in shards)
    report.exact_duplicates = found.exact if found else 0
    report.near_duplicates = found.near if found else 0
    report.left_out = dict(sorted(left_out.items()))
    report.summary = _summary(report, totals, opts)
    if source is not None:
        report.summary["sections"] = source.summary()
    shard_rows = [{"file": s.file, "digest": s.digest, "records": s.records, "size": s.size,
                   "file_bytes": s.file_bytes} for s in shards]
    if opts.format != "jsonl":
        atomic_write_text(dest / CARD, write_card(dest / CARD, opts.format, opts.shard_prefix, shard_rows,
                                                  report.summary, _parquet_fields(opts)))
        os.chmod(dest / CARD, 0o644)  # a temp file's 0600 would keep it from other readers of the folder
    state = {"version": 2, "params": opts.params(), "shards": shard_rows, "summary": report.summary,
             "duplicate_of": duplicate_of, "all_sections_excluded": sorted(report.all_excluded)}
    atomic_write_text(dest / _state_name(opts), json.dumps(state, ensure_ascii=False))
    report.seconds = time.monotonic() - started
    return report


def _measure(layout: OutputLayout, index: ExportIndex, dedup: Deduplicator | None, left_out: Counter,
             report: ExportReport, source: SectionTexts | None = None) -> dict:
    """Each usable document's text measured (or its measures reused) and given to dedup; the
    reasons the others are left out counted. Returns the duplicate_of the store held."""
    index.measures_valid(f"{MEASURE_VERSION}/{NUM_PERM}/{SHINGLE}/affine32")
    before: dict[str, str] = {}
    usable, fresh = [], []

    def flush() -> None:
        index.remember(fresh)
        index.mark_usable(usable)
        fresh.clear()
        usable.clear()

    for row in index.rows():
        stem = row["stem"]
        reason = left_out_reason(row)
        if reason:
            left_out[reason] += 1
            continue
        if row.get("duplicate_of"):
            before[stem] = row["duplicate_of"]
        path = layout.markdown(stem)
        found = source.stat(stem) if source else _stat(path)
        if found is None:
            left_out["markdown_missing"] += 1
            continue
        mtime, size = found
        cached = index.cached(stem, mtime, size)
        if cached is not None and (dedup is None or cached[6] is not None or not cached[0]):
            chars, norm_sha, norm_chars, sig = cached[0], cached[4], cached[5], cached[6]
            report.texts_cached += 1
        else:
            text = source.text(stem) if source else path.read_text(encoding="utf-8")
            report.texts_read += 1
            chars = len(text) if text.strip() else 0
            norm = normalise(text) if chars else ""
            norm_sha = hashlib.sha256(norm.encode("utf-8")).digest()[:16] if chars else None
            sig = dedup.signature(norm) if dedup is not None and chars else None
            norm_chars = len(norm)
            fresh.append((stem, mtime, size, chars, len(text.split()),
                          len(json.dumps(text, ensure_ascii=False).encode("utf-8")),
                          hashlib.sha256(text.encode("utf-8")).digest()[:16], norm_sha, norm_chars, sig))
        if not chars:
            everything_excluded = source is not None and stem not in source.whole and path.stat().st_size
            left_out["all_sections_excluded" if everything_excluded else "empty_text"] += 1
            if everything_excluded:
                report.all_excluded.append(stem)
            continue
        usable.append(stem)
        if dedup is not None:
            dedup.add_measured(stem, norm_sha, norm_chars, sig)
        if len(usable) >= 1000 or len(fresh) >= 1000:
            flush()
    flush()
    return before


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


def _plan_records(index: ExportIndex, duplicate_of: dict, duplicates: dict, opts: ExportOptions,
                  joins: Joins, source: SectionTexts | None = None) -> dict:
    """Each record's size and digest into the index (from its metadata and its text's measures,
    not its text); the corpus's totals for the card."""
    totals = {"pages": 0, "chars": 0, "words": 0, "greek": 0.0, "backends": Counter()}
    origins = Counts(opts.provenance or [])
    batch = []
    for stem, row_text, chars, words, text_len, text_sha in index.usable():
        if stem in duplicate_of:
            continue
        row = index.row_of(row_text)
        meta_line = record_line(_record("", row, duplicates.get(stem, []), opts, joins))
        origins.add(row)
        if source is not None:
            source.count_removed(stem)
        if opts.by_section:  # the records are the sections: their lines, measured as they will be written
            lines = b"".join(map(record_line, _section_records(stem, row, duplicates, opts, joins, source)))
            batch.append((stem, len(lines), hashlib.sha256(lines).digest()))
        else:
            batch.append((stem, len(meta_line) + text_len - 2, hashlib.sha256(meta_line + text_sha).digest()))
        totals["pages"] += int(row.get("page_count") or 0)
        totals["chars"] += chars
        totals["words"] += words
        totals["greek"] += float(row.get("percentage_greek") or 0.0) * chars
        totals["backends"][str(row.get("extraction_backend") or "unknown")] += 1
        if len(batch) >= 1000:
            index.add_entries(batch)
            batch = []
    index.add_entries(batch)
    totals["provenance"] = origins.summary()
    return totals


def _record(text: str, row: dict, dups: list, opts: ExportOptions, joins: Joins) -> dict:
    record = build_record(text, joins.row(row), dups, opts.text_key, opts.metadata_key, opts.metadata_fields,
                          opts.include_remaining_metadata)
    extras = joins.extras(row)
    return {**record, **extras, "filename": record["filename"]} if extras else record


def _section_records(stem: str, row: dict, duplicates: dict, opts: ExportOptions, joins: Joins,
                     source: SectionTexts) -> list:
    return section_records(_record("", row, duplicates.get(stem, []), opts, joins), source.sections(stem),
                           opts.text_key)


def _parquet_fields(opts: ExportOptions) -> list[tuple[str, str]]:
    from .provenance import parquet_fields
    from .sections import SECTION_PARQUET_SCHEMA

    schema = SECTION_PARQUET_SCHEMA if opts.by_section else PARQUET_SCHEMA
    return parquet_fields(opts.provenance or [], schema.names) if opts.format == "parquet" else []


def _write_shard(layout, dest: Path, shard, index: ExportIndex, duplicates: dict, opts, joins: Joins,
                 source: SectionTexts | None = None) -> dict | None:
    """Write one shard to a temp file, then into place; the first record, for a preview."""
    tmp = dest / f".{shard.file}.tmp"
    preview = None
    sections_written = 0
    try:
        writer = open_writer(opts.format, tmp, opts.compression.lower(), opts.compression_level, opts.by_section,
                             _parquet_fields(opts))
        for stem, row_text, chars, words in index.shard_rows(shard.key):
            row = index.row_of(row_text)
            if opts.by_section:
                meta = metadata_of(row) | {"duplicates": duplicates.get(stem, [])}
                sections = source.sections(stem)
                sections_written += len(sections)
                for record, section in zip(_section_records(stem, row, duplicates, opts, joins, source), sections):
                    stats = {"chars": len(section["section"]), "words": len(section["section"].split())}
                    writer.write(record_line(record), section, meta | {"doc_id": record["doc_id"]}, stats)
                    preview = preview or {k: (v[:500] + "…" if isinstance(v, str) and len(v) > 500 else v)
                                          for k, v in record.items()}
                continue
            try:
                text = source.text(stem) if source else layout.markdown(stem).read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            record = _record(text, row, duplicates.get(stem, []), opts, joins)
            meta = metadata_of(row) | {"duplicates": duplicates.get(stem, []), "doc_id": record["doc_id"]}
            writer.write(record_line(record), text, meta, {"chars": chars, "words": words})
            if preview is None:
                preview = {k: (v[:500] + "…" if isinstance(v, str) and len(v) > 500 else v) for k, v in record.items()}
        writer.close()  # a full disk may refuse the last bytes here
    except BaseException:
        with contextlib.suppress(Exception):
            writer.close()
        tmp.unlink(missing_ok=True)  # no half shard left behind
        raise
    os.replace(tmp, dest / shard.file)
    if opts.by_section:  # a shard's records are its sections, not its documents
        shard.records = sections_written
    return preview


def _summary(report: ExportReport, totals: dict, opts: ExportOptions) -> dict:
    chars = totals["chars"]
    return {"records": report.records, "bytes": report.bytes, "pages": totals["pages"], "chars": chars,
            "words": totals["words"], "greek_share": round(totals["greek"] / chars, 2) if chars else 0.0,
            "backends": dict(sorted(totals["backends"].items())),
            "exact_duplicates": report.exact_duplicates, "near_duplicates": report.near_duplicates,
            "near_threshold": opts.near_threshold if opts.dedup else None, "left_out": report.left_out,
            "shards": len(report.files), "format": opts.format, "by_section": opts.by_section,
            "provenance": totals.get("provenance", {})}


def open_writer(fmt: str, path: Path, compression: str, level: int, by_section: bool = False, provenance: list = ()):
    if fmt != "parquet":
        return JsonlWriter(path, compression, level)
    if by_section:
        return ParquetWriter(path, level, SECTION_PARQUET_SCHEMA, section_parquet_row, provenance)
    return ParquetWriter(path, level, provenance=provenance)
