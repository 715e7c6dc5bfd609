"""The worker process: bind to one device, build the task's processor once, drain batches.

Runs in a *spawned* interpreter whose environment (CUDA_VISIBLE_DEVICES, thread counts) the
controller set before the start, so nothing here can import torch too early.
"""
from __future__ import annotations

import ctypes
import errno
import gc
import logging
import mmap
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from .recycle import rss_mb
from .task import PermanentError, StopRun, WorkerContext
from .worklog import log_path, marker_path, verbose_banner, write_marker

# Message kinds, worker -> controller: ITEM, one item's result while the batch goes on; BATCH, the
# batch's last result (the worker is free for the next batch)
BOUND, ITEM, BATCH, SETUP_FAILED = "bound", "item", "batch", "setup_failed"
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
PROGRESS_BYTES = 24  # three doubles: index of the item in progress (-1: none), its start time, RSS (MB)
RSS_MB = 2           # the worker's resident memory after its last item: the controller's recycling reads it


@dataclass(frozen=True)
class WorkerSpec:
    label: str
    cuda_id: int | None
    threads: int
    log_dir: str
    task_bytes: bytes
    controller_pid: int
    replaces: str | None = None   # a recycled worker's pid and why: the banner says so


def _die_with_parent(controller_pid: int) -> None:
    """SIGKILL us when the controller dies (Linux), and poll the parent pid as a fallback."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    if os.getppid() != controller_pid:
        os._exit(1)

    def watch() -> None:
        while True:
            if os.getppid() != controller_pid:
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _redirect_output(path: Path) -> logging.Logger:
    """Append-only log; fds 1 and 2 point into it so C libraries' output lands there too."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    log = logging.getLogger("glossapi_dagster.worker")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


def _banner(spec: WorkerSpec) -> str:
    """Who this worker is and what it is bound to; imports nothing heavy (torch costs seconds
    and most of a GB per worker, which a task that does not use it must not pay)."""
    return " ".join([
        f"worker {spec.label} pid={os.getpid()}",
        f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r}",
        f"threads={spec.threads}",
        *([f"replaces {spec.replaces}"] if spec.replaces else []),
    ])


def _binding() -> str | None:
    """After setup: how the libraries the task imported see the device, if it imported any."""
    parts = []
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            cuda = torch.cuda.is_available()
            parts.append(f"torch={torch.__version__} cuda_available={cuda} "
                         f"device_count={torch.cuda.device_count()} threads={torch.get_num_threads()}")
            if cuda:
                parts.append(f"cuda:0={torch.cuda.get_device_name(0)}")
        except Exception as exc:
            parts.append(f"torch=error ({exc.__class__.__name__}: {exc})")
    ort = sys.modules.get("onnxruntime")
    if ort is not None:
        try:
            parts.append(f"onnxruntime_providers={ort.get_available_providers()}")
        except Exception as exc:
            parts.append(f"onnxruntime=error ({exc.__class__.__name__})")
    return " ".join(parts) or None


def _limit_threads(threads: int) -> None:
    # The env vars were set before spawn; torch, if a task imports it, reads them too,
    # but set it explicitly so the number reaches intra-op pools that ignore the env.
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def main() -> None:
    """`python -m glossapi_dagster.pool.worker_main FD PROGRESS_FILE`: the spec comes over FD."""
    # The controller stops a worker with SIGTERM. An ignored SIGTERM is inherited across exec, and
    # Dagster's run processes map SIGTERM to SIGINT's handler, which a backgrounded shell leaves
    # ignored: without this a worker would last until the SIGKILL that follows.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Ctrl-C reaches the whole foreground process group: the controller decides what it means and
    # stops us itself; dying of it here would charge the document in hand an attempt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fd = int(sys.argv[1])
    os.set_inheritable(fd, False)  # our own children must not keep the controller's socket open
    conn = Connection(fd)
    with open(sys.argv[2], "r+b") as f:
        shared = mmap.mmap(f.fileno(), PROGRESS_BYTES)
    progress = (ctypes.c_double * (PROGRESS_BYTES // 8)).from_buffer(shared)
    run_worker(conn.recv(), conn, progress)
    # Done, and everything it wrote is closed and reported: skip the interpreter's teardown
    # (module by module, ~0.1 s), which the controller would wait for at the end of every run.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def run_worker(spec: WorkerSpec, conn, progress) -> None:
    """Serve one controller. `progress` = shared [index_in_batch, started_at] for its timeouts."""
    _die_with_parent(spec.controller_pid)
    log_dir = Path(spec.log_dir)
    log = _redirect_output(log_path(log_dir, spec.label, os.getpid()))
    marker = marker_path(log_dir, spec.label)
    if verbose_banner():
        log.info(_banner(spec))
    try:
        task = pickle.loads(spec.task_bytes)
        ctx = WorkerContext(spec.label, spec.cuda_id, spec.threads, os.getpid(), log)
        process = task.setup(ctx)
        _limit_threads(spec.threads)
        # What the imports and the setup built lives as long as the worker: out of the garbage
        # collector's sight, a full collection no longer walks it (a few % of a fast backend's time).
        gc.freeze()
    except BaseException as exc:
        log.error("setup failed: %s\n%s", exc, traceback.format_exc())
        conn.send((SETUP_FAILED, f"{type(exc).__name__}: {exc}"))
        sys.exit(3)
    if verbose_banner():
        binding = _binding()
        if binding:
            log.info("worker %s bound: %s", spec.label, binding)
    _try_marker(marker, [], log)  # every bound worker has its marker, also one that never gets an item
    conn.send((BOUND, {"pid": os.getpid(), "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}))

    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            break
        if batch is None:
            break
        if isinstance(batch, str):  # recycled: leave between items, not a crash
            log.info("worker %s pid=%d %s", spec.label, os.getpid(), batch)
            break
        _try_marker(marker, batch, log)
        for index, item in enumerate(batch):
            progress[1] = time.monotonic()
            progress[0] = index
            result = _run_one(process, item, log)
            last = index == len(batch) - 1 or result[1] == "stop"  # a stop ends the batch: the rest stay pending
            if not last:
                # each result as soon as it is there: a worker killed later in its batch takes none of
                # the finished items with it (they are recorded now, never done again)
                conn.send((ITEM, result))
                continue
            progress[0] = -1
            progress[RSS_MB] = rss_mb()
            _try_marker(marker, [], log)
            conn.send((BATCH, [result]))
            break
    close = getattr(process, "close", None)
    if callable(close):
        close()
    log.info("worker %s exiting", spec.label)


def _run_one(process, item, log: logging.Logger) -> tuple:
    """(item, kind, result, error, seconds): kind ok, permanent, error, or stop (the run stops)."""
    started = time.monotonic()
    try:
        return item, "ok", process(item), None, time.monotonic() - started
    except StopRun as exc:
        log.error("stopping the run at %s: %s", item, exc)
        return item, "stop", None, str(exc), time.monotonic() - started
    except PermanentError as exc:
        log.warning("problematic %s: %s", item, exc)
        return item, "permanent", None, str(exc) or type(exc).__name__, time.monotonic() - started
    except OSError as exc:
        if exc.errno not in NO_SPACE:
            log.warning("failed %s: %s\n%s", item, exc, traceback.format_exc())
            return item, "error", None, f"{type(exc).__name__}: {exc}", time.monotonic() - started
        # a full disk is never the item's fault, whichever phase wrote: stop, leave it pending
        log.error("stopping the run at %s: %s", item, exc)
        return (item, "stop", None, f"out of disk space ({exc}); nothing was marked problematic, "
                "run again once space is freed", time.monotonic() - started)
    except Exception as exc:
        log.warning("failed %s: %s\n%s", item, exc, traceback.format_exc())
        return item, "error", None, f"{type(exc).__name__}: {exc}", time.monotonic() - started


def _try_marker(marker: Path, items: list, log: logging.Logger) -> None:
    """The marker is for people reading the logs: a full disk must not kill the worker over it."""
    try:
        write_marker(marker, items)
    except OSError as exc:
        log.warning("cannot write %s: %s", marker, exc)
