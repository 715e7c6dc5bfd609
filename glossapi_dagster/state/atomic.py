"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder.

A crash at any instant leaves either the old file or the new one, never half of one.
"""
from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """`write(tmp_path)` fills a temp file that then replaces `path` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, _file_mode())
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_files(files: list[tuple[Path, bytes]]) -> None:
    """Several files, each written atomically, in list order. The same guarantees as one
    atomic_write each, but every file is written before the first fsync: a journaling filesystem
    then commits once for the data and once for the renames, instead of twice a file."""
    fds: list[int] = []
    renames: list[tuple[str, Path]] = []
    try:
        try:
            for path, data in files:
                path = Path(path)
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                fds.append(fd)
                os.fchmod(fd, _file_mode())
                renames.append((tmp, path))
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            for fd in fds:
                os.fsync(fd)
        finally:
            for fd in fds:
                os.close(fd)
        for tmp, path in renames:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in renames:  # those already renamed are gone under this name
            Path(tmp).unlink(missing_ok=True)
        raise
    for folder in dict.fromkeys(Path(path).parent for path, _ in files):
        _fsync_dir(folder)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write_files([(path, data)])


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _file_mode() -> int:
    """What the umask gives a file made with open(): mkstemp's 0600 would hide the corpus from
    every other user and service."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            umask = next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        umask = os.umask(0o022)  # no /proc: read it by setting it, and put it back at once
        os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def file_lock(path: Path, shared: bool = False) -> Iterator[None]:
    """An advisory lock between processes (flock): shared for readers, exclusive for writers.

    A reader where the lock file cannot be made or opened for writing (a read-only output
    folder) takes it read-only, or goes without: nobody can be writing there."""
    if shared:
        try:
            f = open(path, "r")
        except FileNotFoundError:
            f = _create_lock(path)
        except PermissionError:
            f = None
        if f is None:
            yield
            return
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        f = open(path, "a+")
    with f:
        fcntl.flock(f.fileno(), fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _create_lock(path: Path):
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "a+")
    except OSError:  # read-only, or not ours: read without it
        return None
