"""Where worker markers and logs live, and how they are written (GlossAPI's layout)."""
from __future__ import annotations

import os
from pathlib import Path


def worker_log_dir(out_dir: str | os.PathLike, phase: str, override: str | os.PathLike | None = None) -> Path:
    """OUT/logs/<phase>_workers, unless override (GLOSSAPI_WORKER_LOG_DIR, read above the pool) says otherwise."""
    return Path(override) if override else Path(out_dir) / "logs" / f"{phase}_workers"


def marker_path(log_dir: Path, label: str) -> Path:
    return log_dir / f"{label}.current"


def log_path(log_dir: Path, label: str, pid: int) -> Path:
    return log_dir / f"{label}_{pid}.log"


def write_marker(path: Path, items: list) -> None:
    """The items a worker holds, one a line; replaced atomically so a reader never sees half.

    Written twice a batch: the new items go into the hidden file `.<name>.prev`, which is then
    swapped with the marker (renameat2's RENAME_EXCHANGE) and keeps the previous items, rather than
    a new file made each time, which on a journaling filesystem costs more than the rest of a
    short document's bookkeeping; where the swap is not supported, a rename.

    The hidden file is overwritten in place and cut to its new length, not opened with O_TRUNC:
    ext4 flushes a file truncated to nothing when it is closed (auto_da_alloc), and the worker
    waited for that write twice a document (1.4-3.7 ms of wall time a short document, measured
    under a busy disk; 0.2 ms without). In the steady state the two files are one that holds the
    item and one that stays empty, and neither is ever truncated to nothing."""
    tmp = path.with_name(f".{path.name}.prev")
    data = "".join(f"{_one_line(i)}\n" for i in items).encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        done = 0
        while done < len(data):
            done += os.pwrite(fd, data[done:], done)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)
    if not (path.exists() and _exchange(tmp, path)):
        os.replace(tmp, path)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_renameat2 = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two files atomically; False where the kernel, libc or filesystem cannot."""
    global _renameat2
    if _renameat2 is None:
        import ctypes

        try:
            _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
            _renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
        except (AttributeError, OSError):
            _renameat2 = False
    if not _renameat2:
        return False
    return _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def _one_line(item) -> str:
    return str(item).replace("\n", "\\n")


def verbose_banner() -> bool:
    # read in the worker (the pool imports no pydantic); datamodel/settings.py checked it before the pool started
    return os.environ.get("GLOSSAPI_WORKER_LOG_VERBOSE", "1").strip().lower() not in ("0", "false", "no")
