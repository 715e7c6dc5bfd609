"""The checks every Corpus method makes before any work: the input folder there, OUT writable."""
from __future__ import annotations

import os
from pathlib import Path

from .state import OutputLayout


def check_folder(folder: Path, what: str) -> None:
    """An input or output folder that is not there, or is a file: one error saying which."""
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{what} folder {folder} is a file, not a folder")
    if not folder.is_dir():
        raise FileNotFoundError(f"{what} folder {folder} does not exist")


def check_writable(folder: Path) -> None:
    """Make OUT (and its store folder) and prove a file can be written there."""
    from .state.errors import OutputUnavailable

    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:  # not a matter of space or rights: running again will not help
        raise ValueError(f"output folder {folder} is a file, not a folder" if blocker == folder else
                         f"output folder {folder} cannot be made: {blocker} is a file")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for where in (folder, OutputLayout(folder).store_dir):
            if where.is_dir():
                probe = where / f".write-test-{os.getpid()}"
                probe.write_bytes(b"")
                probe.unlink()
    except OSError as exc:
        raise OutputUnavailable.of(folder, exc) from exc
