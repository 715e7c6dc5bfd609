"""Claims: which run is extracting a stem now, so two runs over one OUT never do a document twice.

One file per claimed stem, download_results/claims/<phase>/<stem>, made exclusively (a hard link,
or O_EXCL) and holding the owner's host, pid and process start time, and its run when it has one.
A run's claims are hard links to one owner file it writes once (claims/.owners/): a claim is then
one link(2), no file of its own to allocate and write, which is what made claiming a run's stems a
short document's largest cost on the controller before the workers start (0.04-0.5 ms of CPU and
0.2-2 ms of wall a stem against 0.015 and 0.1, measured on ext4 under load). A claim is never
written in place (through a link that would change every claim of its run): a takeover removes
the stale claim and makes its own. A claim whose owner is
gone (kill -9, a crash) is stale: the next run takes it over. On its own host a process is asked;
another machine's claim is stale once its run has ended (`RunOwner.alive`: e.g. a run failed as
lost when its node died), and never stolen when there is no run to ask. Released when the run ends.
"""
from __future__ import annotations

import errno
import json
import os
import uuid
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
        self.owners = self.folder.parent / ".owners"  # this run's owner files, which its claims link to
        self._owner: Path | None = None               # the one new claims link to now
        self._made: list[Path] = []                   # every owner file this object wrote
        self._links = True                            # False where the filesystem has no hard links

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
                self._create(path, data)
            except FileExistsError:
                owner = self.owner(stem)
                if owner is not None and _alive(owner, self.run_alive):
                    return False
                _remove_if_same(path, owner)
                continue
            return True
        return False

    def _create(self, path: Path, data: bytes) -> None:
        """The claim at `path`, or FileExistsError: a hard link to our owner file (written whole
        before the first link, so no claim is ever seen half-written), else a file of its own."""
        for _ in range(2):
            if not self._links:
                break
            if self._owner is None:
                self._owner = self._new_owner_file(data)
            try:
                os.link(self._owner, path)
                return
            except FileExistsError:
                raise
            except OSError as exc:
                if exc.errno == errno.EMLINK:  # as many links as one inode takes: the next owner file
                    self._owner = None
                    continue
                self._links = False  # no hard links here (some network and FUSE filesystems)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def _new_owner_file(self, data: bytes) -> Path:
        self.owners.mkdir(parents=True, exist_ok=True)
        _remove_unlinked_owner_files(self.owners)
        path = self.owners / f"{self.folder.name}-{uuid.uuid4().hex}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        self._made.append(path)
        return path

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
        ours = set()  # our owner files' inodes: a claim linked to one is ours without reading it
        for path in self._made:
            try:
                ours.add(os.stat(path).st_ino)
            except OSError:
                pass
        for stem in self.held:
            path = self._path(stem)
            try:
                linked = os.stat(path).st_ino in ours
            except FileNotFoundError:
                continue
            except OSError:
                linked = False
            if linked:
                path.unlink(missing_ok=True)
            else:
                _remove_if_same(path, self.me)
        self.held.clear()
        for path in self._made:
            path.unlink(missing_ok=True)
        self._made.clear()
        self._owner = None


def _remove_unlinked_owner_files(folder: Path, age: float = 60.0) -> None:
    """Owner files no claim links to any more, left by runs that were killed (their stale claims
    taken over since): removed once they are old enough not to be a starting run's, not yet linked."""
    for path in folder.iterdir():
        try:
            info = path.stat()
        except OSError:
            continue
        if info.st_nlink == 1 and time.time() - info.st_mtime > age:
            path.unlink(missing_ok=True)


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
