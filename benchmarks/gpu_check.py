"""The GPU check, for a machine with CUDA (issue 9, item 5). One prepared script, < ~8 min on an H200.

    .venv/bin/python benchmarks/gpu_check.py [--items 64] [--corpus ../shared/corpus/pdfs]
        [--artifacts-path DIR] [--cpu-scaling 1,4,8] [--scaling-docs 800]

1. Binding: the pool with one real CUDA worker per GPU that torch sees (devices
   0..torch.cuda.device_count()-1; each worker gets CUDA_VISIBLE_DEVICES=<id> and works on
   cuda:0). Each item is a torch workload (20 chained 4096x4096 matmuls on cuda:0) that reports
   torch.cuda.current_device(), the device name, CUDA_VISIBLE_DEVICES and the tensor's device;
   the script checks every item ran on a GPU of its worker and prints the per-worker share and
   TFLOP/s. (On a one-GPU machine the share is 100% by construction.)
2. StandardPdfPipeline (layout + table models) on cuda:0, through the engine (run_extraction,
   pipeline='standard'), pages/s over the corpus (or generated PDFs), when its weights are on the
   machine (--artifacts-path, DOCLING_CACHE_DIR or the Hugging Face cache). They cannot be
   downloaded there (no internet): when absent, the script says so and goes on.
3. Optional (--cpu-scaling): the native pipeline with 1, 4, 8 CPU workers over --scaling-docs
   generated PDFs, the item-2 scaling curve on a machine with more cores.

Prints one markdown report (marked with the card's name) to stdout; details to stderr.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))  # workers import bench_tasks (PYTHONPATH = the controller's sys.path)

from bench_tasks import TorchMatmulTask, generate_corpus  # noqa: E402

from glossapi_dagster.pool import PoolConfig, WorkerPool, resolve_devices  # noqa: E402


def binding(items: int, log_dir: Path) -> tuple[str, list[dict]]:
    import torch

    n = torch.cuda.device_count()
    if n == 0:
        return "no CUDA device visible to torch: binding check not run", []
    cfg = PoolConfig(devices=resolve_devices(devices=list(range(n))), threads=4, log_dir=log_dir,
                     batch_size=1, item_timeout=300, summary_interval=3600)
    t0 = time.perf_counter()
    report = WorkerPool(TorchMatmulTask(), cfg).run(range(items))
    wall = time.perf_counter() - t0
    results = [o.result for o in report.outcomes if o.result]
    bad = [r for r in results if r["tensor_device"] != "cuda:0" or r["current_device"] != 0
           or r["cuda_visible_devices"] != r["label"].removeprefix("gpu")]
    share = Counter(r["label"] for r in results)
    lines = [f"{len(results)}/{items} items ok on {n} GPU worker(s) in {wall:.1f} s (start-up included); "
             f"binding {'correct on every item' if not bad else f'WRONG on {len(bad)} items: {bad[:3]}'}"]
    for label in sorted(share):
        rs = [r for r in results if r["label"] == label]
        tf = sorted(r["tflops"] for r in rs)[len(rs) // 2]
        lines.append(f"- {label}: {share[label]} items ({100 * share[label] / max(1, len(results)):.0f}%), "
                     f"CUDA_VISIBLE_DEVICES={rs[0]['cuda_visible_devices']}, current_device={rs[0]['current_device']}, "
                     f"{rs[0]['device_name']}, tensor on {rs[0]['tensor_device']}, median {tf:.1f} TFLOP/s fp32, "
                     f"pids {sorted({r['pid'] for r in rs})}")
    return "\n".join(lines), results


def extraction(corpus: Path, out: Path, pipeline: str, devices: list[int], accel: str, threads: int,
               artifacts_path: str | None) -> dict:
    from glossapi_dagster.phases.extract import run_extraction
    from glossapi_dagster.state import OutputLayout, ProgressStore
    from glossapi_dagster.state.manifest import update_manifest

    layout = OutputLayout(out)
    store = ProgressStore(layout.store_dir)
    update_manifest(store, corpus, "pdf", 100_000)
    rows = store.read(["stem", "path"]).to_dict("records")
    cfg = PoolConfig(devices=resolve_devices(devices=devices), threads=threads, log_dir=out / "logs",
                     batch_size=1, item_timeout=600, summary_interval=3600)
    stamps = []

    def on_pool(pool):
        inner = pool.on_batch

        def on_batch(outcomes):
            stamps.extend((time.perf_counter(), o.result["page_count"] if o.result else 0) for o in outcomes)
            inner(outcomes)

        pool.on_batch = on_batch

    t0 = time.perf_counter()
    report = run_extraction(layout.root, rows, cfg, on_pool=on_pool, phase1_backend="docling", pipeline=pipeline,
                            accel_type=accel,
                            artifacts_path=artifacts_path, benchmark_mode=True)
    wall = time.perf_counter() - t0
    pages = sum(p for _, p in stamps)
    steady = (sum(p for _, p in stamps[1:]) / (stamps[-1][0] - stamps[0][0])) if len(stamps) > 1 else None
    return {"docs": len(rows), "ok": report.counts()["success"], "pages": pages, "wall_s": wall,
            "pages_s": pages / wall, "steady_pages_s": steady, "docs_s_steady":
            (len(stamps) - 1) / (stamps[-1][0] - stamps[0][0]) if len(stamps) > 1 else None,
            "share": dict(Counter(o.worker for o in report.outcomes))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=64)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pdfs")
    ap.add_argument("--artifacts-path", default=None)
    ap.add_argument("--cpu-scaling", default="1,4,8")
    ap.add_argument("--scaling-docs", type=int, default=800)
    args = ap.parse_args()

    import torch

    card = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    print(f"## On a GPU (issue 9): {card}\n")
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.device_count()} GPU(s), "
          f"cpu_count={os.cpu_count()}\n")
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        tmp = Path(tmp)
        text, _ = binding(args.items, tmp / "logs_bind")
        print("### Binding and balance (torch matmul per item)\n\n" + text + "\n", flush=True)

        corpus = args.corpus
        if not corpus.is_dir():
            corpus = tmp / "gen"
            generate_corpus(corpus, 200)
            print(f"(corpus {args.corpus} absent: 200 generated PDFs instead)\n")
        from glossapi_dagster.backends.extract.docling_extractor import missing_standard_models

        missing = missing_standard_models(args.artifacts_path)
        print("### StandardPdfPipeline on cuda:0\n")
        if missing or not torch.cuda.is_available():
            print(f"Not run: {'weights absent: ' + ', '.join(missing) if missing else 'no CUDA'}. They cannot be "
                  "downloaded on this machine; copy the output of `docling-tools models download -o DIR` "
                  "here and pass --artifacts-path DIR.\n")
        else:
            n = torch.cuda.device_count()
            r = extraction(corpus, tmp / "out_std", "standard", list(range(n)), "cuda", 4, args.artifacts_path)
            print(f"{r['ok']}/{r['docs']} documents, {r['pages']} pages in {r['wall_s']:.1f} s: "
                  f"{r['pages_s']:.1f} pages/s end to end, {r['steady_pages_s'] or 0:.1f} pages/s steady; "
                  f"share {r['share']}\n")
        r = extraction(corpus, tmp / "out_native", "native", list(range(torch.cuda.device_count() or 1)),
                       "cuda", 4, None)
        print(f"Native pipeline on the same corpus, same pool: {r['pages_s']:.1f} pages/s end to end, "
              f"{r['steady_pages_s'] or 0:.1f} steady ({r['ok']}/{r['docs']} ok)\n", flush=True)

        if args.cpu_scaling:
            gen = tmp / "scaling"
            generate_corpus(gen, args.scaling_docs)
            print(f"### Native pipeline, CPU workers, {args.scaling_docs} generated PDFs\n")
            print("| workers | docs ok | makespan (s) | docs/s steady | pages/s steady | per-worker share |")
            print("|---:|---:|---:|---:|---:|:---|")
            for w in [int(x) for x in args.cpu_scaling.split(",")]:
                r = extraction(gen, tmp / f"out_cpu{w}", "native", list(range(w)), "cpu", 1, None)
                print(f"| {w} | {r['ok']}/{r['docs']} | {r['wall_s']:.1f} | {r['docs_s_steady'] or 0:.2f} "
                      f"| {r['steady_pages_s'] or 0:.1f} | {r['share']} |", flush=True)
                shutil.rmtree(tmp / f"out_cpu{w}", ignore_errors=True)


if __name__ == "__main__":
    main()
