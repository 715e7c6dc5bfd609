"""What the controller pays a short document outside the pool (issue 29): claiming and releasing
its stem, counting its pages, and the run's last compaction of the store's journal, per document,
for this tree and (--before DIR) another tree of this project, rounds interleaved.

    .venv/bin/python benchmarks/bench_controller.py [--docs 3000] [--group 8] [--rounds 3] [--before ../main-tree]

Each tree runs in its own process (its own imports). CPU is the process's (time.process_time),
wall beside it; medians of the rounds. `--group`: rows a journal file holds, as the store writer
groups a stream of short documents (5-10 at 100-200 documents a second). The folders are made
under $TMPDIR, which should be on the disk an OUT would be.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from measure import alternate, tree_arguments

REPO = Path(__file__).resolve().parents[1]
PDF = "FEK_A_10_-_24.01.2018.pdf"  # a two-page gazette (the bundled corpus)


def row(i: int) -> dict:
    """A short document's extract row, as extract_row gives it."""
    return {"stem": f"s{i:05d}", "extract_status": "success", "extract_error": None, "processing_stage": "extract",
            "attempts": 1, "worker": "gpu0", "page_count": 2, "extract_sec": 0.0123, "needs_ocr": False,
            "extraction_backend": "safe", "greek_ratio": 0.93, "chars": 12345, "text_repair": None,
            "failed_pages": None}


def child(docs: int, group: int) -> dict:
    from glossapi_dagster.phases.ranges import pdf_pages
    from glossapi_dagster.state.claims import Claims
    from glossapi_dagster.state.store import ProgressStore

    out = {}
    stems = [f"s{i:05d}" for i in range(docs)]
    with tempfile.TemporaryDirectory(prefix="bench-controller-") as tmp:
        claims = Claims(Path(tmp), "extract")
        for name, step in (("claim", lambda: claims.claim(stems)), ("release", claims.release)):
            cpu, wall = time.process_time(), time.perf_counter()
            step()
            out[name] = ((time.process_time() - cpu) * 1e3 / docs, (time.perf_counter() - wall) * 1e3 / docs)
        store = ProgressStore(Path(tmp) / "store")
        store.upsert([{"stem": s, "path": f"/in/{s}.pdf"} for s in stems])  # the manifest
        store.compact()
        for start in range(0, docs, group):
            store.upsert([row(i) for i in range(start, min(docs, start + group))])
        cpu, wall = time.process_time(), time.perf_counter()
        store.compact()
        out["compaction"] = ((time.process_time() - cpu) * 1e3 / docs, (time.perf_counter() - wall) * 1e3 / docs)
    pdf = str(REPO / "glossapi_dagster_tests" / "corpus" / "pdfs" / PDF)
    n = min(docs, 1000)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        pdf_pages(pdf)
    out["page count"] = ((time.process_time() - cpu) * 1e3 / n, (time.perf_counter() - wall) * 1e3 / n)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--group", type=int, default=8)
    tree_arguments(ap)
    args = ap.parse_args()
    if args.child:
        sys.path.insert(0, str(args.child))
        print(json.dumps(child(args.docs, args.group)))
        return
    trees = {"this tree": REPO, **({"before": args.before.resolve()} if args.before else {})}
    runs, _ = alternate(__file__, trees, args.rounds, ["--docs", str(args.docs), "--group", str(args.group)])
    print(f"{args.docs} documents, journal files of {args.group} rows, {args.rounds} rounds interleaved; "
          f"CPU ms a document (wall), medians\n")
    print("| step | " + " | ".join(trees) + " |")
    print("|---|" + "---:|" * len(trees))
    for step in runs["this tree"][0]:
        cells = []
        for name in trees:
            cpu = statistics.median(r[step][0] for r in runs[name])
            wall = statistics.median(r[step][1] for r in runs[name])
            cells.append(f"{cpu:.3f} ({wall:.3f})")
        print(f"| {step} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
