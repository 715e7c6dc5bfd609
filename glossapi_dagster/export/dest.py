"""Where an export may write (DEST), checked before any work, and its faults named by DEST.

A dataset card is README.md and shards are stale-removed by name: in OUT/markdown the card is
written over the markdown of a document named README; in an input folder it is read as a
document by the next scan. So DEST is never OUT itself, one of OUT's own folders, nor inside an
input folder scanned into OUT (unless inside OUT too, whose scan leaves an export's folder alone).
"""
from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from ..state.errors import RESOURCE_ERRNOS
from ..state.layout import OutputLayout
from ..state.manifest import input_folders
from ..state.rescan import OUTPUT_FOLDERS

OWN_FOLDERS = (*OUTPUT_FOLDERS, "downloads", "ranges")


class ExportUnavailable(RuntimeError):
    """DEST cannot take the export (full, over quota, read-only, I/O error)."""


def check_dest(dest, out) -> Path:
    """DEST, absolute; a ValueError of one line when an export must not write there."""
    dest, out = Path(dest).absolute(), Path(out).absolute()
    blocker = next((p for p in (dest, *dest.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ValueError(f"export folder {dest} is a file, not a folder" if blocker == dest else
                         f"export folder {dest} cannot be made: {blocker} is a file")
    real, out_real = Path(os.path.realpath(dest)), Path(os.path.realpath(out))
    if real == out_real:
        raise ValueError(f"export folder {dest} is the output folder itself; choose a folder of its own, "
                         f"e.g. {out / 'export'}")
    for name in OWN_FOLDERS:
        if real.is_relative_to(out_real / name):
            raise ValueError(f"export folder {dest} is in {out / name}, the output folder's own (the dataset "
                             f"card would overwrite a document's file); choose a folder of its own, "
                             f"e.g. {out / 'export'}")
    for folder in input_folders(OutputLayout(out).store_dir):
        if real.is_relative_to(folder) and not real.is_relative_to(out_real):
            raise ValueError(f"export folder {dest} lies in the input folder {folder} (its dataset card would be "
                             f"taken in as a document by the next extract); choose a folder outside it")
    return dest


def unavailable(dest: Path, exc: BaseException) -> ExportUnavailable | None:
    """A full, read-only or failing DEST (also as sqlite says it), in one line naming DEST;
    None for any other error."""
    if isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS:
        what = os.strerror(exc.errno)  # pyarrow's strerror is a paragraph
    elif isinstance(exc, sqlite3.OperationalError) and any(
            s in str(exc) for s in ("disk is full", "disk I/O error", "readonly database", "unable to open")):
        what = os.strerror(errno.ENOSPC) if "full" in str(exc) else str(exc)
    else:
        return None
    return ExportUnavailable(f"cannot write to the export folder {dest}: {what}; no shard was replaced, "
                             "run again once it has room")
