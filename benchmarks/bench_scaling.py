"""Scaling: 1, 2 and 4 workers over a generated corpus of born-digital PDFs (issue 9, item 2).

    .venv/bin/python benchmarks/bench_scaling.py [--docs 2000] [--workers 1,2,4] [--slow-factor 3]

The corpus (--docs PDFs of 1, 2, 3, 1, 2, 3 ... pages of Helvetica text, written by hand by
bench_tasks.minimal_pdf; nothing committed) is generated into a temp folder. Each configuration
runs the engine as the asset does (update_manifest, then run_on_pool with ExtractTask, native
Docling pipeline, 1 thread per worker, CPU workers bound as GPU workers would be) into a fresh
output folder, one after another in the same run.

Ideal: min(workers, cores) x the single-worker steady throughput measured in the same run; the
ideal makespan is the 1-worker start-up plus the work at that rate. The last configuration is 2
workers with gpu1 slowed --slow-factor times (SlowedTask sleeps the extra after each document):
the share each worker takes is compared with the speed-proportional share.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))  # the workers import bench_tasks from here (PYTHONPATH = our sys.path)

from bench_tasks import SlowedTask, generate_corpus  # noqa: E402

from glossapi_dagster.phases.extract import ExtractTask, extract_row  # noqa: E402
from glossapi_dagster.phases.runner import run_on_pool  # noqa: E402
from glossapi_dagster.pool import PoolConfig, resolve_devices  # noqa: E402
from glossapi_dagster.state import OutputLayout, ProgressStore, SkipList  # noqa: E402
from glossapi_dagster.state.manifest import update_manifest  # noqa: E402


def one_run(corpus: Path, out: Path, workers: int, slow: dict | None = None) -> dict:
    layout = OutputLayout(out)
    store = ProgressStore(layout.store_dir)
    update_manifest(store, corpus, "pdf", 1000)
    rows = store.read(["stem", "path"]).to_dict("records")
    stem_of = {r["path"]: r["stem"] for r in rows}
    task = ExtractTask(str(layout.root), stem_of, phase1_backend="docling", accel_type="cpu")
    if slow:
        task = SlowedTask(task, slow)
    cfg = PoolConfig(devices=resolve_devices(devices=list(range(workers))), threads=1,
                     log_dir=out / "logs", batch_size=1, item_timeout=600, summary_interval=3600)
    stamps: list[tuple[float, str, int]] = []

    def on_pool(pool):
        inner = pool.on_batch

        def on_batch(outcomes):
            now = time.perf_counter()
            for o in outcomes:
                pages = o.result["page_count"] if o.result else 0
                stamps.append((now, o.worker, pages))
            inner(outcomes)

        pool.on_batch = on_batch

    import resource

    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    report = run_on_pool(task, stem_of, cfg, store, SkipList(layout.skiplist), extract_row, on_pool=on_pool)
    end = time.perf_counter()
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool waits for its workers: their CPU is here
    cpu = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
    counts = report.counts()
    first, last = stamps[0][0], stamps[-1][0]
    docs_after_first = len(stamps) - 1
    return {
        "workers": workers, "slow": slow, "ok": counts["success"], "docs": len(rows),
        "pages": sum(p for _, _, p in stamps),
        "makespan_s": end - t0, "startup_s": first - t0,
        "steady_docs_s": docs_after_first / (last - first),
        "steady_pages_s": sum(p for _, _, p in stamps[1:]) / (last - first),
        "e2e_docs_s": len(rows) / (end - t0),
        "share": dict(sorted(Counter(w for _, w, _ in stamps).items())),
        "load1": os.getloadavg()[0],
        "workers_cpu_s": cpu, "cores_obtained": cpu / (end - t0),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--slow-factor", type=float, default=3.0)
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        pages = generate_corpus(tmp / "in", args.docs)
        print(f"generated {args.docs} PDFs, {pages} pages, in {time.perf_counter() - t:.2f} s; "
              f"cores={cores}; load {os.getloadavg()}", file=sys.stderr)
        runs = []
        configs = [(int(w), None) for w in args.workers.split(",")]
        if args.slow_factor > 1:
            configs.append((2, {"gpu1": args.slow_factor}))
        for i, (w, slow) in enumerate(configs):
            r = one_run(tmp / "in", tmp / f"out{i}", w, slow)
            runs.append(r)
            print(json.dumps(r), file=sys.stderr)

    base = next(r for r in runs if r["workers"] == 1 and not r["slow"])
    print(f"\n{args.docs} generated PDFs ({pages} pages), cores={cores}; ideal = min(workers, cores) x "
          f"1-worker steady rate ({base['steady_docs_s']:.2f} docs/s)\n")
    print("| workers | docs ok | makespan (s) | ideal makespan (s) | makespan / ideal | start-up to first result (s) "
          "| docs/s e2e | docs/s steady | pages/s steady | ideal docs/s | steady / ideal | per-worker share "
          "| workers' CPU s | cores obtained (CPU s / makespan) | load 1 min after |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|---:|---:|---:|")
    for r in runs:
        if r["slow"]:
            continue
        ideal_rate = min(r["workers"], cores) * base["steady_docs_s"]
        ideal_makespan = base["startup_s"] + r["docs"] / ideal_rate
        share = ", ".join(f"{k} {100 * v / r['docs']:.1f}%" for k, v in r["share"].items())
        print(f"| {r['workers']} | {r['ok']}/{r['docs']} | {r['makespan_s']:.1f} | {ideal_makespan:.1f} "
              f"| {r['makespan_s'] / ideal_makespan:.2f} | {r['startup_s']:.1f} | {r['e2e_docs_s']:.2f} "
              f"| {r['steady_docs_s']:.2f} | {r['steady_pages_s']:.1f} | {ideal_rate:.2f} "
              f"| {r['steady_docs_s'] / ideal_rate:.2f} | {share} | {r['workers_cpu_s']:.0f} "
              f"| {r['cores_obtained']:.2f} "
              f"| {r['load1']:.1f} |")
    for r in runs:
        if not r["slow"]:
            continue
        f = r["slow"]["gpu1"]
        # speeds 1 and 1/f: the fair shares are f/(f+1) and 1/(f+1)
        fair = {"gpu0": f / (f + 1), "gpu1": 1 / (f + 1)}
        share = ", ".join(f"{k} {100 * v / r['docs']:.1f}% (speed-proportional {100 * fair[k]:.1f}%)"
                          for k, v in r["share"].items())
        two = next((x for x in runs if x["workers"] == 2 and not x["slow"]), None)
        ideal_rate = (two["steady_docs_s"] if two else base["steady_docs_s"] * min(2, cores)) * (1 + 1 / f) / 2
        print(f"\n2 workers, gpu1 slowed {f:g}x: {r['ok']}/{r['docs']} ok, makespan {r['makespan_s']:.1f} s, "
              f"steady {r['steady_docs_s']:.2f} docs/s vs ideal {ideal_rate:.2f} "
              f"(= unslowed 2-worker rate x (1 + 1/{f:g}) / 2): {r['steady_docs_s'] / ideal_rate:.2f}; "
              f"shares: {share}; "
              f"cores obtained {r['cores_obtained']:.2f}")
    print("\nRAW " + json.dumps(runs))


if __name__ == "__main__":
    main()
