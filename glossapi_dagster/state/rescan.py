"""What a rescan of the input folder judges beyond new files: our own folders inside it,
replaced files, and (after a damaged store) documents whose outputs are already on disk."""
from __future__ import annotations

import json
import os
from pathlib import Path

from .layout import OutputLayout
from .schema import COLUMNS

# Output folders of OUT that must never be read as input when IN == OUT (downloads/ is input).
OUTPUT_FOLDERS = ("markdown", "json", "sidecars", "logs", "skiplists", "download_results")

# What a replaced file resets: everything computed from the old content.
RESET = ("extract_status", "extract_error", "processing_stage", "attempts", "page_count", "needs_ocr",
         "ocr_success", "ocr_error", "formula_total", "math_enriched", "math_items", "math_accepted",
         "math_status", "math_error", "download_error")


def own_folders(root: Path, out: Path, extra=()) -> tuple[set[str], list[str]]:
    """Absolute folders inside the input folder that hold our outputs or the Dagster instance,
    with a note for each, so a rescan never takes earlier outputs in as new documents."""
    root, out = Path(os.path.realpath(root)), Path(os.path.realpath(out))
    skip, notes = set(), []
    if out == root:
        skip |= {str(root / name) for name in OUTPUT_FOLDERS}
        notes.append(f"the input folder is the output folder: its {', '.join(OUTPUT_FOLDERS)} folders are not input")
    elif out.is_relative_to(root):
        skip.add(str(out))
        notes.append(f"the output folder {out} lies inside the input folder: not scanned")
    for folder in extra:
        folder = Path(os.path.realpath(folder))
        if folder.is_relative_to(root) and folder != root:
            skip.add(str(folder))
            notes.append(f"the Dagster instance folder {folder} lies inside the input folder: not scanned")
    # os.walk yields paths under the input folder as given, not resolved
    given = Path(os.path.abspath(root))
    return {str(given / Path(s).relative_to(root)) for s in skip}, notes


def changed_rows(stored, present: set[str], judge) -> list[dict]:
    """Rows for the files under the input folder whose content changed since their row was made:
    size or mtime differ, then the hash decides (a touched, unchanged file keeps its outputs).
    `judge(path)`: the file's manifest columns (state/inputfile.py), its new kind included."""
    rows = []
    cols = [c for c in ("stem", "path", "size", "mtime", "sha256") if c in stored]
    for rec in stored[cols].to_dict("records") if len(stored) else []:
        path = rec["path"]
        if path not in present:
            continue
        try:
            st = os.stat(path)
        except OSError:
            continue
        size, mtime, old_sha = _value(rec.get("size")), _value(rec.get("mtime")), _value(rec.get("sha256"))
        if old_sha is None or (size == st.st_size and mtime == st.st_mtime):
            continue
        if mtime is None and size == st.st_size:  # a row from before mtimes were kept: hashing a whole
            rows.append({"stem": rec["stem"], "mtime": st.st_mtime})  # corpus once would take hours
            continue
        judged = judge(path)
        if judged.get("sha256") == old_sha:  # the same bytes: remember the mtime, so the next scan does not hash it again
            rows.append({"stem": rec["stem"], "mtime": st.st_mtime})
            continue
        rows.append({"stem": rec["stem"], **dict.fromkeys(RESET), **judged})
    return rows


def _value(v):
    try:
        return None if v is None or v != v else v
    except (TypeError, ValueError):  # pd.NA
        return None


def finished_row(out: Path, row: dict) -> dict | None:
    """A document whose extraction finished before the store was damaged: its markdown and its
    extract sidecar are on disk, the sidecar names this very file, and the file is no newer."""
    if row.get("sha256") is None:
        return None
    layout = OutputLayout(out)
    stem = row["stem"]
    try:
        sidecar = json.loads(layout.sidecar("extract", stem).read_text(encoding="utf-8"))
        if sidecar.get("source") != row["path"] or not layout.markdown(stem).exists():
            return None
        if os.stat(row["path"]).st_mtime > float(sidecar.get("finished_at") or 0):
            return None
    except (OSError, ValueError):
        return None
    kept = {k: v for k, v in sidecar.items() if k in COLUMNS and k not in ("stem", "path", "size", "sha256")}
    return {**kept, "extract_status": "success", "processing_stage": "extract", "extract_error": None}
