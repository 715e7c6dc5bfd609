"""What the benchmarks measure of their processes: peak memory, and steady throughput."""
from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path


def vm_hwm_mb(pid: int | str = "self") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class ChildSampler(threading.Thread):
    """Peak VmHWM of every child process of this one, sampled every 0.25 s."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peaks: dict[int, float] = {}
        self.stop = threading.Event()

    @staticmethod
    def _is_worker(pid: str) -> bool:
        try:  # the pool's workers, not nvidia-smi / lscpu probes
            return b"glossapi_dagster" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False

    def run(self):
        me = str(os.getpid())
        while not self.stop.is_set():
            for d in os.listdir("/proc"):
                if not d.isdigit():
                    continue
                try:
                    stat = Path(f"/proc/{d}/stat").read_text()
                except OSError:
                    continue
                if stat.rsplit(")", 1)[1].split()[1] == me and self._is_worker(d):
                    hwm = vm_hwm_mb(d)
                    if hwm:
                        self.peaks[int(d)] = max(self.peaks.get(int(d), 0.0), hwm)
            self.stop.wait(0.25)


def steady(finishes: list[tuple[float, int]]) -> float | None:
    """pages/s from the first finished document to the last (start-up excluded)."""
    finishes = sorted(finishes)
    if len(finishes) < 2 or finishes[-1][0] <= finishes[0][0]:
        return None
    return sum(p for _, p in finishes[1:]) / (finishes[-1][0] - finishes[0][0])




def tree_arguments(ap, rounds: int = 3) -> None:
    """The arguments of a benchmark that runs this tree and another alternately (alternate)."""
    ap.add_argument("--rounds", type=int, default=rounds, help="runs a tree, alternated")
    ap.add_argument("--before", type=Path, help="another checkout's tree, run alternately with this one")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)


def alternate(script: str, trees: dict[str, Path], rounds: int, args: list[str]) -> tuple[dict[str, list[dict]], list[float]]:
    """Run `script --child TREE *args` for each tree in turn, `rounds` times (trees alternated, so
    the machine's load falls on both alike), in the tree's folder; each run prints its result as
    JSON on its last line. Returns the results by tree and the load average before each run."""
    import json
    import subprocess
    import sys

    runs: dict[str, list[dict]] = {name: [] for name in trees}
    loads = []
    for _ in range(rounds):
        for name, tree in trees.items():
            loads.append(os.getloadavg()[0])
            done = subprocess.run([sys.executable, str(Path(script).resolve()), "--child", str(tree), *args],
                                  cwd=tree, capture_output=True, text=True, check=True)
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs, loads
