"""Cost of a resume: a rerun over a finished corpus of 10^5 manifest rows (issue 9, item 3).

    .venv/bin/python benchmarks/bench_resume.py [--rows 100000] [--new 10] [--repeats 3]

The store (download_results.parquet, every column of state/schema.py) is written directly with
pyarrow: --rows rows in shards of 1,000, every one extract_status=success. Two cases, each timed
through the engine as the asset calls it (pending + read of the manifest + run_extraction) and
through Dagster (materialize_extraction over every shard, in process, on a fresh SQLite
instance with the shards registered; its first run records the 100 shards, which the instance has
never seen materialized, and is reported apart):

  finished   nothing left: the time from the call to its return (no worker is started)
  +N new     --new more rows (real generated PDFs, not yet extracted) in the last shard: the
             time to the first finished document and to the return

Each is the median of --repeats runs; the +N case resets those rows to "not extracted" (a
journal entry) before each run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from bench_tasks import generate_corpus  # noqa: E402

from glossapi_dagster.state import OutputLayout, ProgressStore  # noqa: E402
from glossapi_dagster.state.schema import COLUMNS  # noqa: E402

SHARD = 1000


def build_store(out: Path, n: int) -> list[str]:
    layout = OutputLayout(out)
    layout.store_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    stems = [f"doc-{i:06d}" for i in range(n)]
    shards = [f"shard-{i // SHARD:05d}" for i in range(n)]
    values = {
        "filename": [s + ".pdf" for s in stems], "file_ext": ["pdf"] * n, "download_success": [True] * n,
        "extract_status": ["success"] * n, "processing_stage": ["extract"] * n, "page_count": [3] * n,
        "needs_ocr": [False] * n, "stem": stems, "path": [f"/corpus/in/{s}.pdf" for s in stems],
        "size": [100_000] * n, "sha256": ["0" * 64] * n, "shard": shards, "missing": [False] * n,
        "extraction_backend": ["docling-native"] * n, "attempts": [1] * n, "worker": ["gpu0"] * n,
        "device": ["cuda:0"] * n, "extract_sec": [1.5] * n, "chars": [5000] * n, "greek_ratio": [0.9] * n,
        "updated_at": [now] * n,
    }
    table = pa.table({c: pa.array(values.get(c, [None] * n), type=t) for c, t in COLUMNS.items()})
    pq.write_table(table, layout.store_dir / "download_results.parquet", compression="zstd")
    return sorted(set(shards))


def add_new(out: Path, corpus: Path, n_new: int, shard: str) -> None:
    """n_new real PDFs as rows not yet extracted (a journal entry), in `shard`."""
    store = ProgressStore(OutputLayout(out).store_dir)
    rows = []
    for pdf in sorted(corpus.glob("*.pdf"))[:n_new]:
        rows.append({"stem": "new-" + pdf.stem, "path": str(pdf), "filename": pdf.name, "file_ext": "pdf",
                     "download_success": True, "shard": shard, "missing": False, "extract_status": None,
                     "extract_error": None, "page_count": None})
    store.upsert(rows)


def pool_resource():
    from glossapi_dagster.defs.resources import GpuPoolResource

    return GpuPoolResource(devices=[0, 1], accel_type="cpu", num_threads=1, summary_interval=30.0,
                           item_timeout=600.0)


def engine_once(out: Path, keys: set[str]) -> dict:
    """What the asset's body does, without Dagster."""
    from glossapi_dagster.state.phase_rows import manifest_rows
    from glossapi_dagster.phases.extract import run_extraction
    from glossapi_dagster.state import SkipList

    first: list[float] = []

    def on_pool(pool):
        inner = pool.on_batch

        def on_batch(outcomes):
            first or first.append(time.perf_counter())
            inner(outcomes)

        pool.on_batch = on_batch

    t0 = time.perf_counter()
    layout = OutputLayout(out)
    store = ProgressStore(layout.store_dir)
    todo = set(store.pending("extract_status", skip=SkipList(layout.skiplist).read()))
    t_pending = time.perf_counter()
    rows = manifest_rows(store, keys, todo)
    t_rows = time.perf_counter()
    report = run_extraction(layout.root, rows, pool_resource().pool_config(str(layout.root), "extract"),
                            on_pool=on_pool, accel_type="cpu", phase1_backend="docling")
    end = time.perf_counter()
    return {"total_s": end - t0, "pending_s": t_pending - t0, "manifest_read_s": t_rows - t_pending,
            "first_result_s": (first[0] - t0) if first else None, "done": len(report.outcomes)}


def dagster_once(instance, out: Path, corpus_dir: Path, keys: list[str]) -> dict:
    from glossapi_dagster.runs import materialize_extraction
    from glossapi_dagster.defs.resources import CorpusResource

    resources = {"corpus": CorpusResource(input_dir=str(corpus_dir), output_dir=str(out)),
                 "gpu_pool": pool_resource()}
    wall0, t0 = time.time(), time.perf_counter()
    result = materialize_extraction(instance, resources, partition_keys=keys, phase1_backend="docling")
    end = time.perf_counter()
    assert result is not None and result.success
    finished = [json.loads(p.read_text())["finished_at"] for p in (out / "sidecars" / "extract").glob("*.json")]
    finished = [f for f in finished if f >= wall0]
    return {"total_s": end - t0, "first_result_s": (min(finished) - wall0) if finished else None,
            "done": len(finished)}


def write_outputs(out: Path, corpus: Path, n: int) -> None:
    from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
    from glossapi_dagster.state.artifacts import encode_json

    conv = DoclingExtractor("native", 1, "cpu").convert(str(sorted(corpus.glob("*.pdf"))[1]))
    blob, md = encode_json(conv.document.export_to_dict()), conv.document.export_to_markdown()
    layout = OutputLayout(out)
    t = time.perf_counter()
    for i in range(n):
        stem = f"doc-{i:06d}"
        if i == 0:
            layout.markdown(stem).parent.mkdir(parents=True, exist_ok=True)
            layout.docling_json(stem).parent.mkdir(parents=True, exist_ok=True)
        layout.markdown(stem).write_text(md, encoding="utf-8")
        layout.docling_json(stem).write_bytes(blob)
    print(f"outputs for {n:,} stems written in {time.perf_counter() - t:.1f} s "
          f"({len(blob):,} bytes of Docling JSON, {len(md):,} chars of markdown each)", file=sys.stderr)


def reset_new(out: Path, n_new: int, corpus: Path, shard: str) -> None:
    shutil.rmtree(out / "sidecars", ignore_errors=True)
    add_new(out, corpus, n_new, shard)  # the same stems again, extract_status back to null
    ProgressStore(OutputLayout(out).store_dir).compact()


def med(runs: list[dict], key: str):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--new", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--with-outputs", action="store_true",
                    help="also write markdown/<stem>.md and json/<stem>.docling.json.zst for every row (a real "
                         "Docling JSON of a 2-page generated PDF), as a finished corpus has; the +N case is skipped")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-resume-") as tmp:
        tmp = Path(tmp)
        out, corpus = tmp / "out", tmp / "in"
        generate_corpus(corpus, args.new)
        t = time.perf_counter()
        keys = build_store(out, args.rows)
        if args.with_outputs:
            write_outputs(out, corpus, args.rows)
            args.new = 0
        print(f"store of {args.rows:,} rows ({len(keys)} shards) written in {time.perf_counter() - t:.1f} s, "
              f"{(OutputLayout(out).store_dir / 'download_results.parquet').stat().st_size / 1e6:.1f} MB; "
              f"load {os.getloadavg()}", file=sys.stderr)

        home = tmp / "dagster_home"
        home.mkdir()
        shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
        os.environ["DAGSTER_HOME"] = str(home)
        from dagster import DagsterInstance

        from glossapi_dagster.defs.partitions import shards

        results = {}
        with DagsterInstance.get() as instance:
            instance.add_dynamic_partitions(shards.name, keys)
            # finished corpus
            results["engine, finished"] = [engine_once(out, set(keys)) for _ in range(args.repeats)]
            # a fresh instance has never recorded these shards: the first run records them (once)
            results["dagster, first run on a new instance"] = [dagster_once(instance, out, corpus, keys)]
            results["dagster, finished"] = [dagster_once(instance, out, corpus, keys) for _ in range(args.repeats)]
            # +N new documents
            eng, dag = [], []
            for _ in range(args.repeats if args.new else 0):
                reset_new(out, args.new, corpus, keys[-1])
                eng.append(engine_once(out, set(keys)))
                reset_new(out, args.new, corpus, keys[-1])
                dag.append(dagster_once(instance, out, corpus, keys))
            if args.new:
                results[f"engine, +{args.new} new"] = eng
                results[f"dagster, +{args.new} new"] = dag
        for k, v in results.items():
            print(k, json.dumps(v), file=sys.stderr)

    print(f"\n{args.rows:,} manifest rows ({len(keys)} shards), all success; median of {args.repeats}; "
          f"2 CPU workers when there is work\n")
    print("| case | documents done | time to first result (s) | time to return (s) "
          "| of which pending() (s) | of which manifest read (s) |")
    print("|:---|---:|---:|---:|---:|---:|")
    for k, runs in results.items():
        f = med(runs, "first_result_s")
        p, m = med(runs, "pending_s"), med(runs, "manifest_read_s")
        print(f"| {k} | {runs[0]['done']} | {'-' if f is None else f'{f:.2f}'} | {med(runs, 'total_s'):.2f} "
              f"| {'-' if p is None else f'{p:.2f}'} | {'-' if m is None else f'{m:.2f}'} |")
    print("\nRAW " + json.dumps(results))


if __name__ == "__main__":
    main()
