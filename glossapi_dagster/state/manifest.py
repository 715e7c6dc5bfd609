"""The manifest: one store row per input file, with a canonical stem and a shard.

New files are added and cut into new shards of up to `shard_size`; existing rows keep their
status and shard; a vanished file is flagged `missing`, never deleted; a replaced file (other
size or mtime, then other sha256) is pending again.
"""
from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .atomic import file_lock
from .layout import OutputLayout
from .rescan import changed_rows as _changed_rows, finished_row, own_folders
from .skiplist import SkipList
from .store import ProgressStore

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


@dataclass
class ManifestUpdate:
    new_rows: list[dict] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)   # replaced files: their outputs are redone
    new_shards: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)     # one line each, for the user
    total: int = 0


def extensions(input_format: str) -> tuple[str, ...]:
    if input_format not in FORMATS:
        raise ValueError(f"unknown input_format {input_format!r}; choose one of {', '.join(FORMATS)}")
    return FORMATS[input_format]


def scan(input_dir: Path, input_format: str, skip: set[str] = frozenset()) -> list[PurePosixPath]:
    """Relative paths of the matching files, sorted; symlinked folders and the absolute folders in
    `skip` (our own outputs, when they lie inside the input folder) are not descended."""
    exts = extensions(input_format)
    found = []
    for folder, dirs, files in os.walk(input_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if os.path.join(folder, d) not in skip)
        for name in files:
            if name.lower().endswith(exts):
                found.append(PurePosixPath(os.path.relpath(os.path.join(folder, name), input_dir)))
    return sorted(found)


def canonical_stem(rel: PurePosixPath, taken: set[str]) -> str:
    """The file name without extension (GlossAPI's stem), prefixed by its subfolders, made safe.

    Separators and control characters become '_', a leading '.' or '-' gets a '_', long names
    are cut, and a clash with another file's stem gets a short hash of the relative path.
    """
    raw = "__".join([*rel.parts[:-1], rel.stem]) or "_"
    stem = "".join("_" if c in "/\\" or unicodedata.category(c).startswith("C") else c
                   for c in unicodedata.normalize("NFC", raw))
    if stem.startswith((".", "-")):
        stem = "_" + stem
    digest = hashlib.sha1(str(rel).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    if len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem = stem.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", "ignore") + "-" + digest
    if stem in taken:
        stem = f"{stem}-{digest}"
    taken.add(stem)
    return stem


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _escapes(path: Path, root: Path) -> str | None:
    """Why a file must not be followed: a symlink whose target lies outside the input folder."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return f"broken symlink (to {os.readlink(path)}); not followed"
    except (OSError, RuntimeError) as exc:  # ELOOP; RuntimeError before Python 3.13
        return f"symlink loop ({exc}); not followed"
    if not target.is_relative_to(root.resolve()):
        return f"symlink points outside the input folder (to {target}); not followed"
    return None


def update_manifest(store: ProgressStore, input_dir: str | Path, input_format: str = "pdf",
                    shard_size: int = 1000, skip_dirs: tuple = ()) -> ManifestUpdate:
    """`skip_dirs`: more folders never to take input from (the Dagster instance's)."""
    if shard_size < 1:
        raise ValueError("shard_size must be >= 1")
    root = Path(input_dir).absolute()
    if not root.is_dir():
        raise FileNotFoundError(f"input folder {root} does not exist or is not a folder")
    # One scan at a time per OUT: two runs adding files at once would give two files one stem.
    with file_lock(store.folder / ".manifest.lock"):
        return _update(store, root, input_format, shard_size, skip_dirs)


def _update(store: ProgressStore, root: Path, input_format: str, shard_size: int, skip_dirs) -> ManifestUpdate:
    update = ManifestUpdate()
    rebuilding = store.orphans()
    existing = store.read(["stem", "path", "shard", "missing", "size", "mtime", "sha256", "url"])
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
    taken = set(stored.get("stem", []))
    skip, update.notes = own_folders(root, store.folder.parent, skip_dirs)
    rels = scan(root, input_format, skip)
    present = {str(root / rel) for rel in rels}

    fresh = [rel for rel in rels if str(root / rel) not in known]
    next_shard = 1 + max((int(s.rsplit("-", 1)[1]) for s in existing.get("shard", []) if isinstance(s, str)), default=-1)
    adopted = rebuilt = 0
    for start in range(0, len(fresh), shard_size):
        shard = f"shard-{next_shard:05d}"
        next_shard += 1
        update.new_shards.append(shard)
        for rel in fresh[start:start + shard_size]:
            row = _new_row(root, rel, shard, taken)
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
    update.vanished = [stem for path, stem in known.items() if path.startswith(prefix) and path not in present
                       and path not in was_missing and not os.path.lexists(path)]
    update.returned = [known[p] for p in was_missing if p in present or os.path.lexists(p)]
    changes = _changed(stored, present)
    update.changed = [c["stem"] for c in changes if "sha256" in c]
    rows = update.new_rows + changes + [{"stem": s, "missing": True} for s in update.vanished]
    rows += [{"stem": s, "missing": False} for s in update.returned]
    if update.changed:
        SkipList(OutputLayout(store.folder.parent).skiplist).remove(update.changed)
    if rows:
        store.upsert(rows)
        store.compact()
    update.total = len(known) + len(update.new_rows)
    return update


def _new_row(root: Path, rel: PurePosixPath, shard: str, taken: set[str]) -> dict:
    path = root / rel
    row = {"stem": canonical_stem(rel, taken), "filename": rel.name, "path": str(path), "shard": shard,
           "file_ext": rel.suffix.lower().lstrip("."), "missing": False}
    escape = _escapes(path, root)
    if escape:
        return {**row, "download_success": False, "download_error": escape,
                "extract_status": "problematic", "extract_error": escape, "size": None, "sha256": None}
    try:
        st = path.stat()
        return {**row, "download_success": True, "download_error": None, "size": st.st_size,
                "mtime": st.st_mtime, "sha256": sha256_of(path)}
    except OSError as exc:
        reason = f"unreadable: {exc.strerror or exc}"
        return {**row, "download_success": False, "download_error": reason,
                "extract_status": "problematic", "extract_error": reason}


def _changed(stored, present: set[str]) -> list[dict]:
    return _changed_rows(stored, present, sha256_of)
