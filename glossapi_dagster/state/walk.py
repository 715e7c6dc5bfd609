"""The input folder's files, and each folder left out with its reason: nothing under IN is passed
over without a word.

A folder that cannot be listed, a symlink to a folder (not followed, as a symlinked file that
leaves IN is not: a link inside IN would give its files twice), our own output folders and
Dagster's instance folder inside IN, and an export's folder (a dataset card is not a document)
are not scanned; each is one note. Names are returned as the OS gives them (str, a name that is
not UTF-8 with its bytes as surrogates: state/fspath.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .fspath import shown

# What an export leaves in its folder (export/dataset.py): such a folder holds a dataset, not input.
EXPORT_MARKERS = (".export_state.json", ".export_index.sqlite", ".export.lock")


@dataclass
class Walk:
    files: list[str] = field(default_factory=list)     # paths relative to the input folder, sorted
    notes: list[str] = field(default_factory=list)     # one line per folder not scanned
    skipped: int = 0                                   # folders not scanned for a reason of their own


def is_export_folder(names) -> bool:
    return any(n in EXPORT_MARKERS or (n.startswith(".") and n.endswith(EXPORT_MARKERS)) for n in names)


def walk_inputs(root: str, extensions: tuple[str, ...], skip: set[str] = frozenset()) -> Walk:
    """The files under root whose name ends with one of extensions; `skip`: absolute folders that
    are ours (noted by the caller)."""
    walk = Walk()

    def unreadable(exc: OSError) -> None:
        if exc.filename and os.path.abspath(exc.filename) != os.path.abspath(root):
            walk.notes.append(f"folder {shown(exc.filename)} not scanned: {exc.strerror or exc}")
            walk.skipped += 1
        else:
            raise exc  # the input folder itself: the caller says it cannot be read

    for folder, dirs, files in os.walk(root, onerror=unreadable, followlinks=False):
        if folder != root and is_export_folder(files):
            walk.notes.append(f"folder {shown(folder)} holds an exported dataset: not scanned")
            walk.skipped += 1
            dirs[:] = []
            continue
        kept = []
        for d in sorted(dirs):
            path = os.path.join(folder, d)
            if path in skip:
                continue
            if os.path.islink(path):
                walk.notes.append(f"folder {shown(path)} is a symlink (to {shown(os.readlink(path))}): not followed; "
                                  f"copy its files in, or scan its target as an input folder of its own")
                walk.skipped += 1
                continue
            kept.append(d)
        dirs[:] = kept
        for name in files:
            if name.lower().endswith(extensions):
                walk.files.append(os.path.relpath(os.path.join(folder, name), root))
    walk.files.sort()
    return walk
