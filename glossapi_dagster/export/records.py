"""Which documents are exported, and what a record holds (GlossAPI's jsonl record layout).

A document is usable when its extraction succeeded, its file has not vanished, and clean kept it
(`clean_keep`; before any clean, triage's needs_ocr decides, as clean with drop_bad would).
A record: the text under text_key, doc_id, chunk_id, then the store's columns beside it (or under
metadata_key), filename without its extension and filetype as GlossAPI writes them, and the
stems of the documents it stands for (`duplicates`). Columns that say how a run went, not what the
document is (updated_at, worker, timings), stay out: they would make every rerun a change.
"""
from __future__ import annotations

import hashlib
import math
from collections import Counter
from pathlib import Path

import pandas as pd

from ..state.fspath import from_store, shown

OPERATIONAL = {"updated_at", "worker", "device", "attempts", "extract_sec", "ocr_sec", "math_time_sec",
               "shard", "missing", "size", "clean_keep", "duplicate_of", "scanned_page_numbers"}


def _present(value) -> bool:
    return not (value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)))


def plain(value):
    """A store value as JSON: numpy scalars as Python ones, NA as None, timestamps as text."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist") and getattr(value, "ndim", 0):  # an array cell
        return [plain(v) for v in value.tolist()]
    if not _present(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def select_usable(df: pd.DataFrame, chunk: int = 5000) -> tuple[pd.DataFrame, Counter]:
    """The store rows to export, indexed by stem in stem order (a frame: compact, unlike dicts), and
    for the rest, why not (reason -> count)."""
    why: Counter = Counter()
    df = df.sort_values("stem")
    keep = []
    for lo in range(0, len(df), chunk):
        for row in df.iloc[lo:lo + chunk].to_dict("records"):
            reason = left_out_reason(row)
            keep.append(reason is None)
            if reason:
                why[reason] += 1
    usable = df[keep] if len(df) else df
    return usable.set_index("stem", drop=False).rename_axis(None), why


def left_out_reason(row: dict) -> str | None:
    """Why a store row is not exported (None: it is usable)."""
    fetched = plain(row.get("download_status"))
    if plain(row.get("url")) is not None and fetched not in (None, "downloaded"):
        return f"download_{fetched}"  # a link that failed, or the same link or bytes as another row
    status = plain(row.get("extract_status"))
    if status != "success":
        return f"extract_{status}" if status is not None else "not_extracted"
    if plain(row.get("missing")):
        return "missing_input"
    flagged = f"filter:{plain(row.get('filter')) or 'needs_ocr'}"
    keep = plain(row.get("clean_keep"))
    if keep is not None:
        return None if keep else flagged
    if plain(row.get("needs_ocr")) and not plain(row.get("ocr_success")):
        return flagged
    return None


def metadata_of(row: dict) -> dict:
    """The store columns of a record: the document's own, not the run's."""
    meta = {k: plain(v) for k, v in row.items() if k not in OPERATIONAL}
    if isinstance(meta.get("path"), str):  # a name that is not UTF-8: its bytes as \xNN (state/fspath.py)
        meta["path"] = shown(from_store(meta["path"]))
    name = meta.get("filename") or row["stem"]
    meta["filetype"] = meta.get("file_ext") or Path(str(name)).suffix.lstrip(".") or None
    meta["filename"] = Path(str(name)).stem if meta.get("filename") else row["stem"]
    return meta


def build_record(text: str, row: dict, duplicates: list[str], text_key: str = "document",
                 metadata_key: str | None = None, metadata_fields: list[str] | None = None,
                 include_remaining_metadata: bool = True) -> dict:
    """GlossAPI's record: {text_key, doc_id, chunk_id, metadata...}; doc_id = sha256 of the file name."""
    meta = metadata_of(row)
    meta["duplicates"] = duplicates
    label = str(plain(row.get("filename")) or row["stem"])
    record = {text_key: text, "doc_id": hashlib.sha256(label.encode("utf-8")).hexdigest(), "chunk_id": 0}
    if metadata_key:
        chosen = list(meta) if metadata_fields is None else [f for f in metadata_fields if f in meta]
        record[metadata_key] = {k: meta[k] for k in chosen}
        if include_remaining_metadata:
            record.update({k: v for k, v in meta.items() if k not in set(chosen) and k not in record})
    else:
        record.update({k: v for k, v in meta.items() if k not in record})
    record["filename"] = meta["filename"]
    return record
