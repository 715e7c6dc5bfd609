"""Claims: which run is extracting a stem now, so two runs over one OUT never do a document twice.

One file per claimed stem, download_results/claims/<phase>/<stem>, made with O_EXCL and holding
the owner's host, pid and process start time, and its run when it has one. A claim whose owner is
gone (kill -9, a crash) is stale: the next run takes it over. On its own host a process is asked;
another machine's claim is stale once its run has ended (`RunOwner.alive`: e.g. a run failed as
lost when its node died), and never stolen when there is no run to ask. Released when the run ends.
"""
from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .layout import check_stem
from .pids import pid_alive


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot: with the pid, it names one process
    (a pid alone is reused)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@dataclass(frozen=True)
class RunOwner:
    """The run the claims are for, and how any machine tells whether a run still runs."""

    run_id: str
    alive: Callable[[str], bool]


def _alive(owner: dict, run_alive: Callable[[str], bool] | None = None) -> bool:
    if owner.get("host") != socket.gethostname():
        # another machine's process: its run tells, where there is one to ask; else never stolen
        return run_alive(owner["run"]) if run_alive is not None and owner.get("run") else True
    pid = int(owner.get("pid") or 0)
    if pid <= 0:
        return False
    if not pid_alive(pid):
        return False
    started = owner.get("started")
    return started is None or _start_time(pid) in (None, started)


class Claims:
    def __init__(self, folder: Path, phase: str, run: RunOwner | None = None):
        self.folder = Path(folder) / "claims" / phase
        self.me = {"host": socket.gethostname(), "pid": os.getpid(), "started": _start_time(os.getpid())}
        if run is not None:
            self.me["run"] = run.run_id
        self.run_alive = run.alive if run is not None else None
        self.held: set[str] = set()

    def _path(self, stem: str) -> Path:
        return self.folder / check_stem(stem)

    def claim(self, stems: Iterable[str]) -> list[str]:
        """The stems now ours: free ones, stale ones, and those we hold already."""
        self.folder.mkdir(parents=True, exist_ok=True)
        mine = []
        data = json.dumps(self.me).encode()
        for stem in stems:
            if stem in self.held or self._take(stem, data):
                self.held.add(stem)
                mine.append(stem)
        return mine

    def _take(self, stem: str, data: bytes) -> bool:
        path = self._path(stem)
        for _ in range(2):  # once more after removing a stale claim
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                owner = self.owner(stem)
                if owner is not None and _alive(owner, self.run_alive):
                    return False
                _remove_if_same(path, owner)
                continue
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            return True
        return False

    def owner(self, stem: str) -> dict | None:
        try:
            return json.loads(self._path(stem).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):  # being written this instant, or half-written by a killed owner
            return {"host": socket.gethostname(), "pid": 0} if _older_than(self._path(stem), 5.0) else {"host": "?"}

    def active(self) -> set[str]:
        """Stems claimed by live runs (for `status`)."""
        if not self.folder.is_dir():
            return set()
        return {p.name for p in self.folder.iterdir()
                if (o := self.owner(p.name)) is not None and _alive(o, self.run_alive)}

    def release(self) -> None:
        """Our claims removed; one another run took over meanwhile (we were declared lost) stays its own."""
        for stem in self.held:
            _remove_if_same(self._path(stem), self.me)
        self.held.clear()


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return True


def _remove_if_same(path: Path, owner: dict | None) -> None:
    """Remove a stale claim, unless another run replaced it since we read it."""
    try:
        now = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        now = None
    if now == owner or (now is None and _older_than(path, 5.0)):
        path.unlink(missing_ok=True)
