"""Pool overhead: trivial items through real worker processes (issue 2).

    .venv/bin/python benchmarks/bench_pool.py [--items 20000] [--workers 2] [--repeats 3]

The task returns {"n": item} and nothing else, so what is measured is the pool itself:
queue, pickling, the socket round trip per batch, the controller's bookkeeping. Two figures:
end to end (from run() to the report, worker start-up included) and steady state (first
result to last result, start-up excluded). Goal: at least 2,000 items/s on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glossapi_dagster.pool import PoolConfig, WorkerPool, resolve_devices  # noqa: E402
from glossapi_dagster_tests.tasks import EchoTask  # noqa: E402

GOAL = 2000.0


def one_run(n_items: int, n_workers: int, batch_size: int) -> dict:
    stamps: list[float] = []
    count = [0]

    def on_batch(outcomes):
        count[0] += len(outcomes)
        stamps.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as logs:
        cfg = PoolConfig(devices=resolve_devices(devices=list(range(n_workers))), threads=1,
                         log_dir=Path(logs), batch_size=batch_size, summary_interval=3600)
        pool = WorkerPool(EchoTask(), cfg, on_batch=on_batch)
        start = time.perf_counter()
        report = pool.run(range(n_items))
        end = time.perf_counter()
    assert count[0] == n_items and report.counts()["success"] == n_items, report.counts()
    steady_items = n_items - batch_size  # the items reported after the first batch
    steady = (stamps[-1] - stamps[0]) if len(stamps) > 1 else float("nan")
    return {
        "e2e_s": end - start,
        "e2e_rate": n_items / (end - start),
        "steady_rate": steady_items / steady if steady > 0 else float("nan"),
        "startup_s": stamps[0] - start,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-sizes", default="64,8,1")
    args = ap.parse_args()

    rows = []
    for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
        runs = [one_run(args.items, args.workers, batch_size) for _ in range(args.repeats)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        rows.append((batch_size, med))
        print(f"batch_size={batch_size}: " + ", ".join(f"{k}={v:.3f}" for k, v in med.items()), file=sys.stderr)

    print(f"\n{args.items:,} trivial items, {args.workers} workers, cpu_count={os.cpu_count()}, "
          f"median of {args.repeats} runs\n")
    print("| batch size | end to end (s) | items/s end to end | µs/item end to end | worker start-up (s) "
          "| items/s steady | µs/item steady | goal ≥ 2,000 items/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|:---|")
    for batch_size, m in rows:
        ok = "met" if m["e2e_rate"] >= GOAL else f"NOT met ({m['e2e_rate']:,.0f})"
        print(f"| {batch_size} | {m['e2e_s']:.2f} | {m['e2e_rate']:,.0f} | {1e6 / m['e2e_rate']:,.1f} "
              f"| {m['startup_s']:.2f} | {m['steady_rate']:,.0f} | {1e6 / m['steady_rate']:,.1f} | {ok} |")


if __name__ == "__main__":
    main()
