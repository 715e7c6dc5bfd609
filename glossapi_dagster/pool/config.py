"""The pool's settings (PoolConfig), its record of each device's worker (Slot) and its errors."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

from .devices import Device
from .recycle import RecyclePolicy
from .respawn import RespawnPolicy


class WorkerSetupError(RuntimeError):
    """A worker could not build its processor (e.g. model weights missing): the run cannot go on."""


class PoolClosed(RuntimeError):
    """close() was called (from another thread) during run()."""


class RunStopped(RuntimeError):
    """A worker's task raised StopRun: the items not reported stay for the next run."""


@dataclass
class PoolConfig:
    devices: list[Device]
    threads: int = 1
    log_dir: Path = Path("logs/extract_workers")
    batch_size: int | None = 1        # items a hand-over; None: short items together, by their pages
    batch_pages: int = 16             # with batch_size None: pages of short items handed over at once
    pages_of: Callable[[Any], int | None] | None = None  # an item's pages; None (not known, a range): alone
    max_attempts: int = 2
    item_timeout: float | None = None
    summary_interval: float = 30.0
    respawn: Any = field(default_factory=RespawnPolicy)  # dagster.RetryPolicy or alike
    extra_env: dict[str, str] = field(default_factory=dict)
    timeout_of: Callable[[Any], float | None] | None = None  # an item's own limit (e.g. by its pages)
    recycle: RecyclePolicy = field(default_factory=RecyclePolicy)
    range_startup: float = 120.0  # seconds a page range may take beyond its pages' (timeout_of's start-up allowance)


@dataclass
class Slot:
    """The controller's view of one device: its worker process, the batch it holds, its respawns."""

    device: Device
    proc: subprocess.Popen | None = None
    conn: Connection | None = None
    progress: Any = None              # ctypes double[2] over a shared mmap
    batch: list | None = None
    reported: int = 0                 # of the batch, the items whose results came back (in order)
    bound: bool = False
    respawns: int = 0
    respawn_at: float | None = None
    charged: bool = False             # the pending respawn counts against the respawn cap
    exhausted: bool = False
    kill_reason: str | None = None
    items_done: int = 0               # by the current process: what recycling counts
    recycles: int = 0
    replaces: str | None = None       # the next worker's banner says whom it replaces, and why

    @property
    def live(self) -> bool:
        return self.proc is not None
