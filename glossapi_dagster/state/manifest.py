"""The manifest: one store row per input file, with a canonical stem and a shard.

New files are added and cut into new shards of up to `shard_size`; existing rows keep their
status and shard; a vanished file is flagged `missing`, never deleted; a replaced file (other
size or mtime, then other sha256) is pending again; a file whose bytes the store holds under a
path that is gone is the same document, moved (its row follows it); a row whose problem was
getting at its file (a broken link, no permission, a file missing under a run) is judged again
and pending once its cause is gone.
"""
from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .atomic import atomic_write_text, file_lock
from .fspath import readable
from .inputfile import ACCESS_PROBLEMS, judge, sha256_of  # noqa: F401  (sha256_of: the tests' hash)
from .layout import OutputLayout
from .rescan import RESET, changed_rows, finished_row, own_folders
from .skiplist import SkipList
from .store import ProgressStore
from .walk import walk_inputs

FORMATS = {
    "pdf": (".pdf",),
    "docx": (".docx",),
    "html": (".html", ".htm", ".xhtml"),
    "xml": (".xml",),
    "md": (".md",),
    "pptx": (".pptx",),
}
FORMATS["all"] = tuple(ext for exts in FORMATS.values() for ext in exts)
MAX_STEM_BYTES = 180  # leaves room for ".docling.json.zst" under the usual 255-byte name limit
INPUT_FOLDERS = "input_folders.json"  # in the store's folder: where an export must not write


@dataclass
class ManifestUpdate:
    new_rows: list[dict] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)   # replaced files: their outputs are redone
    moved: list[str] = field(default_factory=list)     # stems whose file was found at another path
    recovered: list[str] = field(default_factory=list)  # stems pending again: the cause of their problem is gone
    problematic: list[str] = field(default_factory=list)  # stems this scan found no document in, or could not read
    new_shards: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)     # one line each, for the user
    folders_skipped: int = 0                           # folders of IN not scanned, each with a note
    total: int = 0


def extensions(input_format: str) -> tuple[str, ...]:
    if input_format not in FORMATS:
        raise ValueError(f"unknown input_format {input_format!r}; choose one of {', '.join(FORMATS)}")
    return FORMATS[input_format]


def canonical_stem(rel: PurePosixPath, taken: set[str], key: str | None = None) -> str:
    """The file name without extension (GlossAPI's stem), prefixed by its subfolders, made safe.

    Separators and control characters become '_', a leading '.' or '-' gets a '_', long names
    are cut, and a clash with another file's stem gets a short hash of the relative path (`key`:
    the path as the OS spells it, where rel is its readable form).
    """
    raw = "__".join([*rel.parts[:-1], rel.stem]) or "_"
    stem = "".join("_" if c in "/\\" or unicodedata.category(c).startswith("C") else c
                   for c in unicodedata.normalize("NFC", raw))
    if stem.startswith((".", "-")):
        stem = "_" + stem
    digest = hashlib.sha1((key or str(rel)).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    if len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem = stem.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", "ignore") + "-" + digest
    if stem in taken:
        stem = f"{stem}-{digest}"
    taken.add(stem)
    return stem


def input_folders(store_folder: Path) -> list[str]:
    """The input folders scanned into this store (absolute, resolved)."""
    try:
        return json.loads((Path(store_folder) / INPUT_FOLDERS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def update_manifest(store: ProgressStore, input_dir: str | Path, input_format: str = "pdf",
                    shard_size: int = 1000, skip_dirs: tuple = ()) -> ManifestUpdate:
    """`skip_dirs`: more folders never to take input from (the Dagster instance's)."""
    if shard_size < 1:
        raise ValueError("shard_size must be >= 1")
    root = Path(input_dir).absolute()
    if not root.exists():
        raise FileNotFoundError(f"input folder {root} does not exist")
    if not root.is_dir():
        raise ValueError(f"input folder {root} is a file, not a folder")
    # One scan at a time per OUT: two runs adding files at once would give two files one stem.
    with file_lock(store.folder / ".manifest.lock"):
        update = _update(store, root, input_format, shard_size, skip_dirs)
        _remember(store.folder, root)
        return update


def _remember(store_folder: Path, root: Path) -> None:
    folders = input_folders(store_folder)
    if os.path.realpath(root) not in folders:
        atomic_write_text(store_folder / INPUT_FOLDERS, json.dumps([*folders, os.path.realpath(root)]))


def _update(store: ProgressStore, root: Path, input_format: str, shard_size: int, skip_dirs) -> ManifestUpdate:
    update = ManifestUpdate()
    rebuilding = store.orphans()
    existing = store.read(["stem", "path", "shard", "missing", "size", "mtime", "sha256", "download_success",
                           "extract_status", "extract_error", "url"])
    for column in ("path", "url"):  # only the journal is left, and no row in it carries a path
        if column not in existing:
            existing[column] = None
    has_path = existing["path"].notna().to_numpy(dtype=bool)
    stored = existing[has_path]
    known = dict(zip(stored["path"], stored["stem"]))
    # rows whose path was lost (a link that failed to download never had one: it is no orphan)
    orphans = set(existing.loc[~has_path & existing["url"].isna().to_numpy(dtype=bool), "stem"])
    missing = stored["missing"].fillna(False).astype(bool) if "missing" in stored else None
    was_missing = set(stored.loc[missing.to_numpy(dtype=bool), "path"]) if missing is not None else set()
    # a link's row holds its stem whether or not it was downloaded (orphans' stems stay free: they are taken back)
    taken = set(stored.get("stem", [])) | set(existing.loc[existing["url"].notna().to_numpy(dtype=bool), "stem"])
    skip, update.notes = own_folders(root, store.folder.parent, skip_dirs)
    walk = walk_inputs(str(root), extensions(input_format), skip)
    update.notes += walk.notes
    update.folders_skipped = walk.skipped
    present = {os.path.join(str(root), rel) for rel in walk.files}

    fresh = {rel: judge(os.path.join(str(root), rel), root) for rel in walk.files
             if os.path.join(str(root), rel) not in known}
    moves = _moves(stored, fresh, root)
    update.moved = [m["stem"] for m in moves]
    moved_rels = {m.pop("rel") for m in moves}
    fresh = {rel: j for rel, j in fresh.items() if rel not in moved_rels}
    next_shard = 1 + max((int(s.rsplit("-", 1)[1]) for s in existing.get("shard", []) if isinstance(s, str)), default=-1)
    adopted = rebuilt = 0
    rels = sorted(fresh)
    for start in range(0, len(rels), shard_size):
        shard = f"shard-{next_shard:05d}"
        next_shard += 1
        update.new_shards.append(shard)
        for rel in rels[start:start + shard_size]:
            row = _new_row(root, rel, fresh[rel], shard, taken)
            if row["stem"] in orphans:  # its status survived in the journal: the same row again
                adopted += 1
            elif rebuilding is not None and (done := finished_row(store.folder.parent, row)):
                row.update(done)
                rebuilt += 1
            update.new_rows.append(row)
    if rebuilding is not None or orphans:
        update.notes.append(
            f"damaged progress store: {store.path.name} is missing, {len(orphans)} journal rows had lost "
            f"their file; rebuilt {adopted} rows from the journal and {rebuilt} from the outputs on disk, "
            f"no file has two rows" if rebuilding is not None else
            f"{len(orphans)} store rows had lost their file; {adopted} of them found it again")

    # Only paths under this input folder are judged: another folder's rows share the store.
    prefix = str(root).rstrip(os.sep) + os.sep
    gone = set(update.moved)
    update.vanished = [stem for path, stem in known.items() if path.startswith(prefix) and path not in present
                       and path not in was_missing and not os.path.lexists(path) and stem not in gone]
    update.returned = [known[p] for p in was_missing if p in present or os.path.lexists(p)]
    changes = changed_rows(stored, present, lambda path: judge(path, root))
    update.changed = [c["stem"] for c in changes if "sha256" in c]
    again = _judged_again(stored, present, root, {c["stem"] for c in changes})
    update.recovered = [r["stem"] for r in again if r.get("extract_status") is None]
    rows = update.new_rows + moves + changes + again + [{"stem": s, "missing": True} for s in update.vanished]
    rows += [{"stem": s, "missing": False} for s in update.returned]
    update.problematic = [r["stem"] for r in update.new_rows + changes + again if r.get("extract_status") == "problematic"]
    if update.changed or update.recovered:
        SkipList(OutputLayout(store.folder.parent).skiplist).remove(update.changed + update.recovered)
    for what, stems in (("moved (the same bytes at a new path: its row and outputs kept)", update.moved),
                        ("pending again (the cause of their problem is gone)", update.recovered)):
        if stems:
            update.notes.append(f"{len(stems)} file(s) {what}: {', '.join(sorted(stems)[:10])}")
    if rows:
        store.upsert(rows)
        store.compact()
    update.total = len(known) + len(update.new_rows)
    return update


def _new_row(root: Path, rel: str, judged: dict, shard: str, taken: set[str]) -> dict:
    name = PurePosixPath(readable(rel))  # a name that is not UTF-8, as a Greek reader would read it
    return {"stem": canonical_stem(name, taken, key=rel), "filename": name.name, "path": os.path.join(str(root), rel),
            "shard": shard, "missing": False, **judged}


def _moves(stored, fresh: dict[str, dict], root: Path) -> list[dict]:
    """The fresh files whose bytes a row holds under a path that no longer exists: that row,
    moved to the file's new path ({stem, path, ...} plus `rel`, popped by the caller)."""
    shas = {j["sha256"] for j in fresh.values() if j.get("sha256")}
    if not shas or "sha256" not in stored:
        return []
    candidates: dict[str, list[str]] = {}
    for rec in stored[stored["sha256"].isin(shas)][["stem", "path", "sha256"]].to_dict("records"):
        if not os.path.lexists(rec["path"]):
            candidates.setdefault(rec["sha256"], []).append(rec["stem"])
    moves = []
    for rel, judged in sorted(fresh.items()):
        stems = candidates.get(judged.get("sha256"))
        if stems:
            moves.append({"rel": rel, "stem": stems.pop(0), "path": os.path.join(str(root), rel),
                          "filename": readable(PurePosixPath(rel).name), "missing": False,
                          "size": judged["size"], "mtime": judged["mtime"]})
    return moves


def _judged_again(stored, present: set[str], root: Path, done: set[str]) -> list[dict]:
    """Rows whose problem was getting at their file, judged again: pending when the cause is gone,
    with the new reason when it changed (e.g. a broken link now points outside)."""
    if "extract_error" not in stored:
        return []
    failed = ~stored["download_success"].fillna(True).astype(bool) if "download_success" in stored else False
    access = stored["extract_error"].astype("string").str.startswith(ACCESS_PROBLEMS).fillna(False)
    problem = stored["extract_status"].eq("problematic").fillna(False) & access
    rows = []
    for rec in stored[(failed | problem).to_numpy(dtype=bool)][["stem", "path", "extract_error"]].to_dict("records"):
        if rec["path"] not in present or rec["stem"] in done:
            continue
        judged = judge(rec["path"], root)
        if judged.get("extract_status") is None:
            rows.append({"stem": rec["stem"], **dict.fromkeys(RESET), **judged})
        elif judged["extract_error"] != rec["extract_error"]:
            rows.append({"stem": rec["stem"], **judged})
    return rows
