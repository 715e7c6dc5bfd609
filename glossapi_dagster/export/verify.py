"""Reading an export back: every expected document exactly once, no empty text, shards and card
as the export's state says (what the training_dataset asset checks report)."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ..state import OutputLayout, ProgressStore
from .card import CARD, read_card
from .plan import STATE, read_state
from .records import select_usable
from .shards import shard_pattern

# the store columns that decide whether a document is in the export
DECIDES = ["extract_status", "missing", "filter", "clean_keep", "needs_ocr", "ocr_success", "duplicate_of"]


def _read(layout: OutputLayout, stem: str) -> str | None:
    try:
        return layout.markdown(stem).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def expected_stems(out_dir) -> set[str]:
    """What the last export should hold: the usable documents of the store, duplicates left out
    (those with duplicate_of), texts found empty at export time left out (the state says which)."""
    store = ProgressStore(OutputLayout(out_dir).store_dir)
    rows, _ = select_usable(store.read(DECIDES))  # only the columns that decide: ~100 bytes a row
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
    expected -= set(state.get("all_sections_excluded") or [])  # nothing of theirs was left to export
    seen: Counter = Counter()
    empty, missing_files, wrong_size = [], [], []
    params = state.get("params") or {}
    text_key = params.get("text_key", "document")
    metadata_key = params.get("metadata_key")
    by_section = bool(params.get("by_section"))
    if by_section and text_key == "document":
        text_key = "section"  # a section's text is under `section` (export/sections.py)
    for shard in listed:
        path = dest / shard["file"]
        if not path.is_file():
            missing_files.append(shard["file"])
            continue
        if path.stat().st_size != shard["file_bytes"]:
            wrong_size.append(shard["file"])
        for stem, chunk, text in _iter_stems_texts(path, fmt, text_key, metadata_key, pq, by_section):
            seen[(stem, chunk)] += 1
            if not (text or "").strip() and not by_section:  # a section may be a heading alone
                empty.append(stem)
    on_disk = sorted(p.name for p in dest.iterdir() if shard_pattern(fmt, (state.get("params") or {}).get(
        "shard_prefix", "train")).match(p.name)) if fmt != "jsonl" else []
    stems = {stem for stem, _ in seen}
    card_problems = _card_problems(dest, fmt, listed, on_disk, sum(seen.values())) if fmt != "jsonl" else []
    return {
        "records": sum(seen.values()), "expected": len(expected), "shards": len(listed),
        "missing_shards": missing_files, "changed_shards": wrong_size,
        "not_exported": sorted(expected - stems), "twice": sorted({s for (s, _), n in seen.items() if n > 1}),
        "unexpected": sorted(stems - expected), "empty_text": sorted(empty), "card": card_problems,
    }


def _iter_stems_texts(path: Path, fmt: str, text_key: str, metadata_key, pq, by_section: bool = False):
    """(stem, chunk_id, text) of each record: a document's chunk is 0, a section's its place."""
    if fmt == "parquet":
        columns = ["stem", "chunk_id", "section"] if by_section else ["stem", "text"]
        for batch in pq.ParquetFile(path).iter_batches(columns=columns, batch_size=256):
            chunks = batch.column("chunk_id").to_pylist() if by_section else [0] * batch.num_rows
            yield from zip(batch.column("stem").to_pylist(), chunks, batch.column(columns[-1]).to_pylist())
        return
    import io

    import zstandard as zstd

    with open(path, "rb") as raw:
        stream = zstd.ZstdDecompressor().stream_reader(raw) if path.suffix == ".zst" else raw
        for line in io.TextIOWrapper(stream, encoding="utf-8"):
            if line.strip():
                record = json.loads(line)
                meta = record.get(metadata_key, {}) if metadata_key else {}
                yield (record.get("stem", meta.get("stem")), record.get("chunk_id", 0) if by_section else 0,
                       record.get(text_key))


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
