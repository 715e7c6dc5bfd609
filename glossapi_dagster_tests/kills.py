"""Killing a run on purpose, as a crash or an operator would: the tests' resume checks share it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil


def wait_for(predicate, timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def pool_workers() -> list[psutil.Process]:
    """This process's worker processes (of its pool, or of a controller it started)."""
    me = psutil.Process()
    return [p for p in me.children(recursive=True) if "glossapi_dagster.pool.worker_main" in " ".join(p.cmdline())]


def kill_controller_when(script: str, args: list[str], until, timeout: float = 120.0, what: str = "",
                         env: dict | None = None) -> None:
    """`python -c script *args` (a controller) killed -9 once until() holds; its workers must go
    with it (they watch their parent)."""
    env = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(until, timeout=timeout, what=what)
        workers = psutil.Process(proc.pid).children(recursive=True)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, "workers outlived their controller"
