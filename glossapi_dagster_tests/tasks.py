"""Small real tasks for the pool tests: they run in real worker processes."""
from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


def _barrier(folder: str, label: str, n: int, timeout: float = 120.0) -> None:
    """Wait until `n` workers have reached setup, so that every worker is bound before any
    takes a batch (otherwise a slow starter may find the queue already empty)."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{label}.ready").touch()
    deadline = time.monotonic() + timeout
    while len(list(root.glob("*.ready"))) < n and time.monotonic() < deadline:
        time.sleep(0.01)


@dataclass
class ProbeTask:
    """Reports where each item ran; fails, kills its worker or hangs on chosen items."""

    delay: float = 0.0
    slow: dict = field(default_factory=dict)         # label -> extra delay factor
    fail: frozenset = frozenset()                    # raise every time
    kill: frozenset = frozenset()                    # SIGKILL own process every time
    hang: frozenset = frozenset()                    # sleep forever
    setup_error: str | None = None
    import_torch: bool = True                        # False: a light worker (torch costs seconds)
    kill_labels: frozenset = frozenset()             # SIGKILL own process on any item, on these workers
    record: str | None = None                        # folder: append each processed item to <label>_<pid>.txt
    barrier: str | None = None                       # folder: wait in setup until `barrier_n` workers are there
    barrier_n: int = 0
    chatter: bool = False                            # print to stdout and write to fd 2 for each item

    def setup(self, ctx):
        if self.setup_error:
            raise FileNotFoundError(self.setup_error)
        factor = self.slow.get(ctx.label, 1.0)
        threads_seen = None
        if self.import_torch:
            try:
                import torch

                threads_seen = torch.get_num_threads()
            except ImportError:
                pass
        if self.barrier:
            _barrier(self.barrier, ctx.label, self.barrier_n)
        record = None
        if self.record:
            Path(self.record).mkdir(parents=True, exist_ok=True)
            record = open(Path(self.record) / f"{ctx.label}_{os.getpid()}.txt", "a", buffering=1)

        def process(item):
            if self.delay:
                time.sleep(self.delay * factor)
            if item in self.kill or ctx.label in self.kill_labels:
                os.kill(os.getpid(), signal.SIGKILL)
            if item in self.hang:
                time.sleep(3600)
            if item in self.fail:
                raise ValueError(f"cannot process {item}")
            if self.chatter:
                print(f"stdout-of-{item}")
                os.write(2, f"fd2-of-{item}\n".encode())
            if record is not None:
                record.write(f"{item}\n")
            return {
                "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
                "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
                "mkl_num_threads": os.environ.get("MKL_NUM_THREADS"),
                "ctx_threads": ctx.threads,
                "torch_threads": threads_seen,
                "torch_threads_now": sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None,
                "pid": os.getpid(),
                "label": ctx.label,
            }

        return process


@dataclass
class EchoTask:
    """The cheapest possible task: what the pool itself costs per item (benchmarks)."""

    def setup(self, ctx):
        def process(item):
            return {"n": item}

        return process


@dataclass
class NoSpaceTask:
    """Writes each item to `folder`; the items in `full` meet a full disk (a real ENOSPC from os.write
    would need a full filesystem: the pool must treat the error, whatever raised it, the same way)."""

    folder: str
    full: frozenset = frozenset()

    def setup(self, ctx):
        import errno

        def process(item):
            if item in self.full:
                raise OSError(errno.ENOSPC, "No space left on device", f"{self.folder}/{item}")
            Path(self.folder, str(item)).write_text("done")
            return {"item": item}

        return process


@dataclass
class LeakyTask:
    """Keeps `leak_mb` of real, touched memory per item (a backend that grows over a long run);
    reports its pid, so a test sees which process took which item."""

    leak_mb: int = 0
    delay: float = 0.0
    setup_delay: float = 0.0  # a slow start (a model loading), so a replacement's start can be watched

    def setup(self, ctx):
        kept = []
        time.sleep(self.setup_delay)

        def process(item):
            if self.leak_mb:
                kept.append(bytearray(b"x" * (self.leak_mb << 20)))  # written, so resident
            if self.delay:
                time.sleep(self.delay)
            from glossapi_dagster.pool.recycle import rss_mb

            return {"pid": os.getpid(), "label": ctx.label, "rss_mb": rss_mb()}

        return process
