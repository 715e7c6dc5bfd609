"""Which rows each phase takes: the store's queries behind extraction, OCR and Phase 2, one place.

A phase's rows are {stem, path, shard, ...} dicts of the manifest. Extraction takes what is not
done (nor set aside, vanished or skip-listed); OCR the extracted documents triage flagged
needs_ocr; Phase 2 the extracted PDFs whose text is final (OCR'd where it was needed)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .fspath import LINKS, worker_path
from .statuses import FATAL, NO_MATH, PROBLEMATIC, SUCCESS

if TYPE_CHECKING:  # the store pulls in pandas and pyarrow, which a worker importing its phase never needs
    from .store import ProgressStore


def manifest_rows(store: ProgressStore, shards: set[str], stems, columns=("stem", "path", "shard", "size")) -> list[dict]:
    """The manifest rows of these shards whose stem is in stems; only those become dicts (all
    10^5 rows of a big corpus took 1.5 s)."""
    df = store.read(list(columns))
    if df.empty or "shard" not in df:
        return []
    rows = df[df["shard"].isin(shards) & df["stem"].isin(set(stems))].to_dict("records")
    for row in rows:  # a name that is not UTF-8 is opened through a link named by its stem
        row["path"] = worker_path(row["path"], row["stem"], store.folder / LINKS)
    return rows


def extract_rows(store: ProgressStore, shards: set[str], reprocess: bool = False,
                 skip: set[str] = frozenset()) -> list[dict]:
    """Rows of these shards extraction takes: not done, not problematic (unless reprocess), not
    vanished, downloaded, not skip-listed (ProgressStore.pending)."""
    return manifest_rows(store, shards, store.pending("extract_status", reprocess=reprocess, skip=skip))


def ocr_targets(store: ProgressStore, stems: set[str] | None = None, reprocess: bool = False,
                skip: set[str] = frozenset()) -> list[str]:
    """Stems extracted successfully, flagged needs_ocr, not OCR'd yet (a failed OCR again only with
    reprocess), not vanished, not skip-listed; restricted to `stems` when given."""
    from .schema import KEY

    df = store.read([KEY, "extract_status", "needs_ocr", "ocr_success", "missing"])
    if df.empty or "needs_ocr" not in df or "extract_status" not in df:
        return []

    def col(name):
        return df[name] if name in df else None

    todo = col("extract_status").eq(SUCCESS).fillna(False) & col("needs_ocr").fillna(False).astype(bool)
    done = col("ocr_success")
    if done is not None:
        tried = done.notna()
        todo &= ~(done.fillna(False).astype(bool))
        if not reprocess:
            todo &= ~tried
    if col("missing") is not None:
        todo &= ~col("missing").fillna(False).astype(bool)
    found = df.loc[todo.to_numpy(dtype=bool), KEY].tolist()
    return [s for s in found if (stems is None or s in stems) and s not in skip]


def math_targets(store, shards: set[str] | None, reprocess: bool = False, skip: set[str] = frozenset()) -> list[dict]:
    """Rows ({stem, path}) for Phase 2: extracted PDFs of the given shards, not skip-listed, not
    needing OCR (unless OCR'd), not done already (unless reprocessing)."""
    cols = ["stem", "path", "shard", "file_ext", "extract_status", "needs_ocr", "ocr_success", "math_status",
            "math_enriched", "missing"]
    df = store.read(cols)
    rows = []
    for r in df.to_dict("records"):
        def get(c):
            return None if c not in r or _na(r[c]) else r[c]

        if shards is not None and get("shard") not in shards:
            continue
        if get("extract_status") != SUCCESS or _true(get("missing")) or r["stem"] in skip:
            continue
        if str(get("file_ext") or Path(str(get("path") or "")).suffix.lstrip(".")).lower() != "pdf":
            continue
        if _true(get("needs_ocr")) and not _true(get("ocr_success")):
            continue
        if get("math_status") == FATAL:
            continue  # set aside: only taking it off the skip-list (and this status) brings it back
        if not reprocess and (_true(get("math_enriched")) or get("math_status") in (SUCCESS, NO_MATH, PROBLEMATIC)):
            continue
        rows.append({"stem": r["stem"], "path": get("path"), "shard": get("shard")})
    return sorted(rows, key=lambda r: r["stem"])


def _true(value) -> bool:
    return value is not None and bool(value)


def _na(value) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
