"""The export: usable documents of OUT -> deduplicated JSONL or parquet shards in DEST, rebuilt
incrementally, with a dataset card; and its verification.

Two passes over the markdown, one document at a time: the first measures each text (size, digest,
MinHash signature); duplicates are resolved; shards are planned against the last export; the
second pass writes only the shards that changed. Memory: a few hundred bytes a document.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..state import OutputLayout, ProgressStore
from ..state.atomic import atomic_write_text
from .card import CARD, read_card, write_card
from .dedup import NEAR_THRESHOLD, Deduplicator
from .plan import STATE, Entry, plan, read_state
from .records import build_record, metadata_of, plain, select_usable
from .shards import open_writer, record_line, shard_names, shard_pattern

FORMATS = ("jsonl", "jsonl_sharded", "parquet")
SHARD_SIZE = 500 * 1024 * 1024


@dataclass
class ExportOptions:
    format: str = "jsonl_sharded"        # jsonl (one file) | jsonl_sharded | parquet
    shard_size_bytes: int = SHARD_SIZE
    shard_prefix: str = "train"
    compression: str = "zstd"            # zstd | none (JSONL; parquet is always zstd)
    compression_level: int = 3
    text_key: str = "document"           # JSONL only; parquet's column is `text`
    metadata_key: str | None = None
    metadata_fields: list | None = None
    include_remaining_metadata: bool = True
    dedup: bool = True
    near_threshold: float = NEAR_THRESHOLD
    file_name: str | None = None         # format jsonl: the file's name in dest

    def check(self) -> None:
        if self.format == "jsonl":  # GlossAPI's jsonl(): one plain file
            self.compression = "none"
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.shard_size_bytes <= 0:
            raise ValueError("shard_size_bytes must be positive")
        if self.compression.lower() not in ("zstd", "none"):
            raise ValueError(f"Unsupported compression codec '{self.compression}'")
        if not self.shard_prefix or "/" in self.shard_prefix:
            raise ValueError(f"shard_prefix must be a plain name, got {self.shard_prefix!r}")

    def params(self) -> dict:
        """What the shard files depend on: a change rewrites them all."""
        return {k: v for k, v in asdict(self).items() if k not in ("dedup", "near_threshold")} | {
            "dedup": self.dedup, "near_threshold": self.near_threshold if self.dedup else None}


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
    exact_duplicates: int = 0
    near_duplicates: int = 0
    left_out: dict = field(default_factory=dict)    # reason -> documents
    preview: dict | None = None
    seconds: float = 0.0
    summary: dict = field(default_factory=dict)


def _state_name(opts: ExportOptions) -> str:
    return STATE if opts.format != "jsonl" else f".{opts.file_name}.export_state.json"


def export_dataset(out_dir, dest, opts: ExportOptions | None = None) -> ExportReport:
    opts = opts or ExportOptions()
    opts.check()
    started = time.monotonic()
    layout, dest = OutputLayout(out_dir), Path(dest).absolute()
    store = ProgressStore(layout.store_dir)
    if not layout.store_dir.is_dir():
        raise FileNotFoundError(f"no progress store in {layout.root}: run extract first")
    dest.mkdir(parents=True, exist_ok=True)
    rows, left_out = select_usable(store.read())

    # pass 1: measure every text once (a few numbers a document are kept); duplicates
    dedup = Deduplicator(opts.near_threshold, near=True) if opts.dedup else None
    stats: dict[str, tuple] = {}   # stem -> (chars, words, JSON-escaped text bytes, text digest)
    for stem in rows.index:
        text = _read(layout, stem)
        if text is None or not text.strip():
            left_out["markdown_missing" if text is None else "empty_text"] += 1
            continue
        stats[stem] = (len(text), len(text.split()), len(json.dumps(text, ensure_ascii=False).encode("utf-8")),
                       hashlib.sha256(text.encode("utf-8")).digest()[:16])
        if dedup is not None:
            dedup.add(stem, text)
    found = dedup.resolve() if dedup is not None else None
    duplicate_of = found.duplicate_of if found else {}
    duplicates = found.duplicates if found else {}
    before = rows["duplicate_of"] if "duplicate_of" in rows else None
    store.upsert([{"stem": s, "duplicate_of": duplicate_of.get(s)} for s in stats  # only what changed
                  if before is None or plain(before.get(s)) != duplicate_of.get(s)])
    rows = rows.loc[[s for s in stats if s not in duplicate_of]]

    # plan: each record's size and digest from its metadata and its text's measures
    entries = []
    for row in _row_dicts(rows):
        stem = row["stem"]
        chars, words, text_len, text_sha = stats[stem]
        meta_line = record_line(_record("", row, duplicates.get(stem, []), opts))
        entries.append(Entry(stem, len(meta_line) + text_len - 2, hashlib.sha256(meta_line + text_sha).hexdigest()))
    limit = opts.shard_size_bytes if opts.format != "jsonl" else float("inf")
    state_name = _state_name(opts)
    shards = plan(entries, limit, read_state(dest, state_name), opts.params(), dest)
    names = ([opts.file_name] if opts.format == "jsonl" else
             shard_names(opts.format, opts.shard_prefix, len(shards), opts.compression.lower()))
    if opts.format == "jsonl" and not shards:
        names = []
    for shard, name in zip(shards, names):
        shard.file = name

    # pass 2: kept files out of the way of new names, changed shards written, the rest removed
    report = ExportReport(str(dest), opts.format)
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
            preview = _write_shard(layout, dest, shard, rows, stats, duplicates, opts)
            report.preview = report.preview or preview
            report.written += 1
        shard.file_bytes = (dest / shard.file).stat().st_size
    if opts.format == "jsonl" and not shards:  # GlossAPI writes an empty file for an empty corpus
        atomic_write_text(dest / opts.file_name, "")
    final = {s.file for s in shards}
    if opts.format != "jsonl":
        pattern = shard_pattern(opts.format, opts.shard_prefix)
        for stale in dest.iterdir():
            if pattern.match(stale.name) and stale.name not in final:
                stale.unlink()

    report.files = [str(dest / s.file) for s in shards]
    if not report.files and opts.format == "jsonl":
        report.files = [str(dest / opts.file_name)]
    report.records = len(entries)
    report.bytes = sum(s.size for s in shards)
    report.file_bytes = sum(s.file_bytes for s in shards)
    report.exact_duplicates = found.exact if found else 0
    report.near_duplicates = found.near if found else 0
    report.left_out = dict(sorted(left_out.items()))
    report.summary = _summary(report, rows, stats, opts)
    shard_rows = [{"file": s.file, "stems": s.stems, "digest": s.digest, "records": len(s.stems),
                   "size": s.size, "file_bytes": s.file_bytes} for s in shards]
    if opts.format != "jsonl":
        atomic_write_text(dest / CARD, write_card(dest / CARD, opts.format, opts.shard_prefix, shard_rows,
                                                  report.summary))
        os.chmod(dest / CARD, 0o644)  # a temp file's 0600 would keep it from other readers of the folder
    state = {"version": 1, "params": opts.params(), "shards": shard_rows, "summary": report.summary,
             "duplicate_of": duplicate_of}
    atomic_write_text(dest / state_name, json.dumps(state, ensure_ascii=False))
    report.seconds = time.monotonic() - started
    return report


def _record(text: str, row: dict, dups: list, opts: ExportOptions) -> dict:
    return build_record(text, row, dups, opts.text_key, opts.metadata_key, opts.metadata_fields,
                        opts.include_remaining_metadata)


def _read(layout: OutputLayout, stem: str) -> str | None:
    try:
        return layout.markdown(stem).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _row_dicts(rows, chunk: int = 2000):
    """The rows of a stem-indexed frame as dicts, a chunk at a time (all at once: ~2 KB a row)."""
    for lo in range(0, len(rows), chunk):
        yield from rows.iloc[lo:lo + chunk].to_dict("records")


def _write_shard(layout, dest: Path, shard, rows, stats, duplicates, opts) -> dict | None:
    """Write one shard to a temp file, then into place; the first record, for a preview."""
    tmp = dest / f".{shard.file}.tmp"
    writer = open_writer(opts.format, tmp, opts.compression.lower(), opts.compression_level)
    preview = None
    try:
        for row in _row_dicts(rows.loc[shard.stems]):
            stem = row["stem"]
            text = _read(layout, stem) or ""
            record = _record(text, row, duplicates.get(stem, []), opts)
            meta = metadata_of(row) | {"duplicates": duplicates.get(stem, []), "doc_id": record["doc_id"]}
            writer.write(record_line(record), text, meta, {"chars": stats[stem][0], "words": stats[stem][1]})
            if preview is None:
                preview = {k: (v[:500] + "…" if isinstance(v, str) and len(v) > 500 else v) for k, v in record.items()}
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    writer.close()
    os.replace(tmp, dest / shard.file)
    return preview


def _summary(report: ExportReport, rows, stats: dict, opts: ExportOptions) -> dict:
    chars = {s: stats[s][0] for s in rows.index}
    pages = rows["page_count"].fillna(0).astype("int64").sum() if "page_count" in rows else 0
    greek = 0.0
    if "percentage_greek" in rows:
        share = rows["percentage_greek"].astype("float64").fillna(0.0)
        greek = float((share * rows.index.map(chars).astype("float64")).sum())
    total = sum(chars.values())
    backends = (rows["extraction_backend"].astype(object).where(rows["extraction_backend"].notna(), "unknown")
                .value_counts().to_dict() if "extraction_backend" in rows else {"unknown": len(rows)})
    return {"records": report.records, "bytes": report.bytes, "pages": int(pages), "chars": total,
            "words": sum(stats[s][1] for s in rows.index),
            "greek_share": round(greek / total, 2) if total else 0.0,
            "backends": {str(k): int(v) for k, v in sorted(backends.items())},
            "exact_duplicates": report.exact_duplicates, "near_duplicates": report.near_duplicates,
            "near_threshold": opts.near_threshold if opts.dedup else None, "left_out": report.left_out,
            "shards": len(report.files), "format": opts.format}


def _num(value) -> bool:
    try:
        return value is not None and float(value) == float(value)
    except (TypeError, ValueError):
        return False


def expected_stems(out_dir) -> set[str]:
    """What the last export should hold: the usable documents of the store, duplicates left out
    (those with duplicate_of), texts found empty at export time left out (the state says which)."""
    store = ProgressStore(OutputLayout(out_dir).store_dir)
    rows, _ = select_usable(store.read())
    if "duplicate_of" not in rows:
        return set(rows.index)
    return set(rows.index[rows["duplicate_of"].isna().to_numpy(dtype=bool)])


def verify_export(out_dir, dest, fmt: str = "jsonl_sharded", file_name: str | None = None) -> dict:
    """Read the export back: every expected document exactly once, no empty text, shards and card
    as the state says. Returns the problems found (empty lists when all is well) and counts."""
    import pyarrow.parquet as pq

    dest = Path(dest)
    state = read_state(dest, STATE if fmt != "jsonl" else f".{file_name}.export_state.json") or {}
    listed = state.get("shards", [])
    layout = OutputLayout(out_dir)
    expected = {s for s in expected_stems(out_dir) if (_read(layout, s) or "").strip()}
    seen: Counter = Counter()
    empty, missing_files, wrong_size = [], [], []
    text_key = (state.get("params") or {}).get("text_key", "document")
    metadata_key = (state.get("params") or {}).get("metadata_key")
    for shard in listed:
        path = dest / shard["file"]
        if not path.is_file():
            missing_files.append(shard["file"])
            continue
        if path.stat().st_size != shard["file_bytes"]:
            wrong_size.append(shard["file"])
        for stem, text in _iter_stems_texts(path, fmt, text_key, metadata_key, pq):
            seen[stem] += 1
            if not (text or "").strip():
                empty.append(stem)
    on_disk = sorted(p.name for p in dest.iterdir() if shard_pattern(fmt, (state.get("params") or {}).get(
        "shard_prefix", "train")).match(p.name)) if fmt != "jsonl" else []
    card_problems = _card_problems(dest, fmt, listed, on_disk, sum(seen.values())) if fmt != "jsonl" else []
    return {
        "records": sum(seen.values()), "expected": len(expected), "shards": len(listed),
        "missing_shards": missing_files, "changed_shards": wrong_size,
        "not_exported": sorted(expected - set(seen)), "twice": sorted(s for s, n in seen.items() if n > 1),
        "unexpected": sorted(set(seen) - expected), "empty_text": sorted(empty), "card": card_problems,
    }


def _iter_stems_texts(path: Path, fmt: str, text_key: str, metadata_key, pq):
    if fmt == "parquet":
        for batch in pq.ParquetFile(path).iter_batches(columns=["stem", "text"], batch_size=256):
            yield from zip(batch.column("stem").to_pylist(), batch.column("text").to_pylist())
        return
    import io

    import zstandard as zstd

    with open(path, "rb") as raw:
        stream = zstd.ZstdDecompressor().stream_reader(raw) if path.suffix == ".zst" else raw
        for line in io.TextIOWrapper(stream, encoding="utf-8"):
            if line.strip():
                record = json.loads(line)
                meta = record.get(metadata_key, {}) if metadata_key else {}
                yield record.get("stem", meta.get("stem")), record.get(text_key)


def _card_problems(dest: Path, fmt: str, listed: list, on_disk: list, records: int) -> list[str]:
    try:
        header, table = read_card((dest / CARD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ["README.md is missing"]
    except (ValueError, KeyError) as exc:
        return [f"README.md does not parse: {exc}"]
    problems = []
    split = (header.get("dataset_info") or {}).get("splits", [{}])[0]
    if split.get("num_examples") != records:
        problems.append(f"card says {split.get('num_examples')} records, the shards hold {records}")
    if sorted(s["file"] for s in table) != on_disk:
        problems.append(f"card lists {sorted(s['file'] for s in table)}, the folder has {on_disk}")
    sizes = {s["file"]: s["file_bytes"] for s in table}
    changed = [f for f in on_disk if f in sizes and (dest / f).stat().st_size != sizes[f]]
    if changed:
        problems.append(f"shards changed since the card was written: {changed}")
    download = (header.get("dataset_info") or {}).get("download_size")
    actual = sum((dest / f).stat().st_size for f in on_disk)
    if download != actual:
        problems.append(f"card's download_size {download} is not the shards' {actual} bytes")
    return problems
