"""The pool's process plumbing: starting a worker process on a device (its environment, its
socket, its progress cells), stopping processes (a grace period, then SIGKILL), and the run-time
folders that controllers killed outright left behind. The scheduling loop (pool.py) decides
when; this module knows how."""
from __future__ import annotations

import ctypes
import mmap
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Iterable

from ..state.pids import pid_alive
from .devices import Device
from .worker import PROGRESS_BYTES, WorkerSpec

RUN_DIR_PREFIX = "glossapi-pool-"  # + controller pid: a folder whose controller is gone is stale


def run_dir() -> tempfile.TemporaryDirectory:
    """This controller's run-time folder (the workers' progress files), once the stale ones of
    earlier controllers are gone."""
    remove_stale_run_dirs()
    return tempfile.TemporaryDirectory(prefix=f"{RUN_DIR_PREFIX}{os.getpid()}-")


def spawn(device: Device, run_folder: str, spec: WorkerSpec, threads: int, extra_env: dict[str, str]
          ) -> tuple[subprocess.Popen, Connection, ctypes.Array]:
    """A worker process for this device, sent its spec: its process, the controller's end of its
    socket, and its progress cells (doubles over a shared mmap: [item index, its start time, ...];
    the item index starts at -1, nothing begun)."""
    parent, child = socket.socketpair()
    progress_file = Path(run_folder) / f"{device.label}.progress"
    progress_file.write_bytes(b"\0" * PROGRESS_BYTES)
    with open(progress_file, "r+b") as f:
        shared = mmap.mmap(f.fileno(), PROGRESS_BYTES)
    progress = (ctypes.c_double * (PROGRESS_BYTES // 8)).from_buffer(shared)
    progress[0] = -1
    proc = subprocess.Popen(
        [sys.executable, "-m", "glossapi_dagster.pool.worker_main", str(child.fileno()), str(progress_file)],
        env=worker_env(device, threads, extra_env),
        pass_fds=(child.fileno(),),
        stdin=subprocess.DEVNULL,
        preexec_fn=_default_sigterm if signal.getsignal(signal.SIGTERM) == signal.SIG_IGN else None,
    )
    child.close()
    conn = Connection(parent.detach())
    conn.send(spec)
    return proc, conn, progress


def _default_sigterm() -> None:
    # An ignored SIGTERM is inherited across exec (a Dagster run process under a backgrounded shell
    # has it so). The worker restores the default itself, but only once its interpreter and imports
    # are up: a worker stopped before then would last until the SIGKILL after the grace period.
    # Restored in the child before exec, the SIGTERM stops it at any moment.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def worker_env(device: Device, threads: int, extra_env: dict[str, str]) -> dict[str, str]:
    """Bound before the interpreter starts, so no import in the worker can beat it."""
    env = dict(os.environ)
    env.update(
        CUDA_VISIBLE_DEVICES=device.cuda_visible_devices,
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        OPENBLAS_NUM_THREADS=str(threads),
        PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env)
    return env


def send_signal(proc: subprocess.Popen, sig: int) -> None:
    """A signal to a process that may be gone already."""
    try:
        proc.send_signal(sig)
    except (ProcessLookupError, OSError):
        pass


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL, and the process reaped."""
    send_signal(proc, signal.SIGKILL)
    proc.wait()


def wait_or_kill(procs: Iterable[subprocess.Popen], deadline: float) -> None:
    """Each process waited for until the deadline (time.monotonic()), then killed."""
    for proc in procs:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill(proc)


def remove_stale_run_dirs() -> None:
    """Run-time folders of controllers killed outright (SIGKILL skips every cleanup), as stale
    pool slots are released at the next start. A name without a pid (older versions) is left."""
    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{RUN_DIR_PREFIX}*-*"):
        pid = folder.name[len(RUN_DIR_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
