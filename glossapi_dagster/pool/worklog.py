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
    """The items a worker holds, one a line; replaced atomically so a reader never sees half."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{_one_line(i)}\n" for i in items), encoding="utf-8")
    os.replace(tmp, path)


def _one_line(item) -> str:
    return str(item).replace("\n", "\\n")


def verbose_banner() -> bool:
    # read in the worker (the pool imports no pydantic); datamodel/settings.py checked it before the pool started
    return os.environ.get("GLOSSAPI_WORKER_LOG_VERBOSE", "1").strip().lower() not in ("0", "false", "no")
