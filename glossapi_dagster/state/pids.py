"""Whether a process of this machine still runs: the one test behind stale run folders, stale
claims and a download run's lock (each records its owner's pid)."""
from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Is a process with this pid running (or one we may not signal)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
