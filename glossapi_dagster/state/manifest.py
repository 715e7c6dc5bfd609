"""The manifest: one store row per input file, with a canonical stem and a shard.

New files are added and cut into new shards of up to `shard_size`; existing rows keep their
status and shard; a vanished file is flagged `missing`, never deleted.
"""
from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

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
    new_shards: list[str] = field(default_factory=list)
    total: int = 0


def extensions(input_format: str) -> tuple[str, ...]:
    if input_format not in FORMATS:
        raise ValueError(f"unknown input_format {input_format!r}; choose one of {', '.join(FORMATS)}")
    return FORMATS[input_format]


def scan(input_dir: Path, input_format: str) -> list[PurePosixPath]:
    """Relative paths of the matching files, sorted; symlinked folders are not descended."""
    exts = extensions(input_format)
    found = []
    for folder, dirs, files in os.walk(input_dir, followlinks=False):
        dirs.sort()
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
    target = path.resolve()
    if not target.is_relative_to(root.resolve()):
        return f"symlink points outside the input folder (to {target}); not followed"
    return None


def update_manifest(store: ProgressStore, input_dir: str | Path, input_format: str = "pdf",
                    shard_size: int = 1000) -> ManifestUpdate:
    if shard_size < 1:
        raise ValueError("shard_size must be >= 1")
    root = Path(input_dir).absolute()
    if not root.is_dir():
        raise FileNotFoundError(f"input folder {root} does not exist or is not a folder")
    existing = store.read(["stem", "path", "shard", "missing"])
    known = dict(zip(existing.get("path", []), existing.get("stem", [])))
    was_missing = set(existing.loc[existing["missing"].fillna(False).astype(bool), "path"]) if "missing" in existing else set()
    taken = set(existing.get("stem", []))
    rels = scan(root, input_format)
    present = {str(root / rel) for rel in rels}

    update = ManifestUpdate()
    fresh = [rel for rel in rels if str(root / rel) not in known]
    next_shard = 1 + max((int(s.rsplit("-", 1)[1]) for s in existing.get("shard", []) if isinstance(s, str)), default=-1)
    for start in range(0, len(fresh), shard_size):
        shard = f"shard-{next_shard:05d}"
        next_shard += 1
        update.new_shards.append(shard)
        for rel in fresh[start:start + shard_size]:
            update.new_rows.append(_new_row(root, rel, shard, taken))
    update.vanished = [stem for path, stem in known.items() if path not in present and path not in was_missing]
    update.returned = [known[p] for p in was_missing if p in present]
    rows = update.new_rows + [{"stem": s, "missing": True} for s in update.vanished]
    rows += [{"stem": s, "missing": False} for s in update.returned]
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
        return {**row, "download_success": True, "download_error": None, "size": path.stat().st_size,
                "sha256": sha256_of(path)}
    except OSError as exc:
        reason = f"unreadable: {exc.strerror or exc}"
        return {**row, "download_success": False, "download_error": reason,
                "extract_status": "problematic", "extract_error": reason}
