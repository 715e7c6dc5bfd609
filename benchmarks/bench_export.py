"""The training export (issue 19): throughput of JSONL and parquet shards, dedup cost against
corpus size, and the Jaccard between documents of a real output folder (the near-duplicate
threshold's evidence).

    .venv/bin/python benchmarks/bench_export.py [--docs 2000] [--dedup-sizes 1000,10000,100000]
                                                [--memory-sizes 2000,10000,100000] [--jaccard-out OUT]

* throughput: a generated output folder (--docs markdown documents of ~8 KB of Greek-letter
  words, store rows as extraction leaves them; nothing committed), exported with
  export_dataset as jsonl_sharded and as parquet, side by side in one run, each from a fresh
  destination (a full build), then again (an incremental rebuild with nothing changed);
  documents/s and MB/s of markdown read.
  Then a rebuild after one document changed.
* memory (--memory-sizes): peak RSS above the baseline (after imports) of a whole export of a
  generated folder of N documents of ~1.3 KB, each in a fresh process.
* dedup cost: Deduplicator over N generated documents (~1.6 KB in 10 paragraphs, 1% exact copies,
  1% near copies with their last paragraph dropped: Jaccard ~0.9), each size in a fresh subprocess: seconds and peak RSS.
* --jaccard-out: exact Jaccard of word-5-gram sets (as dedup shingles them) for every pair of
  markdown files in OUT/markdown: the largest between distinct documents against the near copies.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LETTERS = "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ"


def _words(rnd: random.Random, n: int = 8000) -> list[str]:
    return ["".join(rnd.choice(LETTERS) for _ in range(rnd.randint(2, 10))) for _ in range(n)]


def make_out(out: Path, docs: int, words_per_doc: int = 900, seed: int = 0) -> int:
    from glossapi_dagster.state import OutputLayout, ProgressStore

    rnd = random.Random(seed)
    vocab = _words(rnd)
    layout = OutputLayout(out)
    (out / "markdown").mkdir(parents=True)
    rows, total = [], 0
    for i in range(docs):
        paras = ["## Κεφάλαιο 1"] + [" ".join(rnd.choice(vocab) for _ in range(90)) for _ in range(words_per_doc // 90)]
        text = "\n\n".join(paras) + "\n"
        layout.markdown(f"doc{i:06d}").write_text(text, encoding="utf-8")
        total += len(text.encode("utf-8"))
        rows.append({"stem": f"doc{i:06d}", "filename": f"doc{i:06d}.pdf", "file_ext": "pdf", "path": f"/in/doc{i:06d}.pdf",
                     "sha256": f"{i:064x}", "extract_status": "success", "page_count": 1 + i % 5,
                     "char_count_no_comments": len(text), "percentage_greek": 97.0, "latin_percentage": 0.5,
                     "polytonic_ratio": 0.0, "mojibake_badness_score": 0.0, "garbled_text_score": 0.0,
                     "is_empty": False, "filter": "ok", "needs_ocr": False, "extraction_backend": "safe",
                     "formula_total": 0, "shard": f"{i // 1000:05d}"})
    ProgressStore(layout.store_dir).upsert(rows)
    return total


def _change_one(out: Path, stem: str) -> None:
    md = out / "markdown" / f"{stem}.md"
    md.write_text(md.read_text(encoding="utf-8") + "\n\nΠροσθήκη μιας παραγράφου.\n", encoding="utf-8")


def throughput(docs: int) -> list[dict]:
    """Per format, side by side: a full build, a rebuild with nothing changed, a rebuild after one
    document changed (a different one per format, so each format sees one change)."""
    from glossapi_dagster.export import ExportOptions, export_dataset

    results = []
    with tempfile.TemporaryDirectory(prefix="bench_export_") as tmp:
        out = Path(tmp) / "OUT"
        md_bytes = make_out(out, docs)
        for n, fmt in enumerate(("jsonl_sharded", "parquet")):
            dest = Path(tmp) / fmt
            for kind in ("full build", "rebuild, nothing changed", "rebuild, one document changed"):
                if kind.endswith("one document changed"):
                    _change_one(out, f"doc{docs // 3 + n:06d}")
                started = time.perf_counter()
                report = export_dataset(out, dest, ExportOptions(format=fmt, shard_size_bytes=4 << 20))
                sec = time.perf_counter() - started
                results.append({"format": fmt, "kind": kind, "docs": report.records, "seconds": round(sec, 2),
                                "docs_per_s": round(report.records / sec, 1),
                                "mb_per_s": round(md_bytes / sec / 1e6, 2), "shards": len(report.files),
                                "written": report.written, "records_written": report.records_written,
                                "texts_read": report.texts_read, "file_mb": round(report.file_bytes / 1e6, 2),
                                "markdown_mb": round(md_bytes / 1e6, 2)})
                print(json.dumps(results[-1]), flush=True)
    return results


MEMORY_SCRIPT = r"""
import json, sys, threading, time
from pathlib import Path
import psutil
sys.path.insert(0, sys.argv[3])
import datasketch, datasketch.lsh, pandas, pyarrow.parquet, zstandard  # imported before the baseline
from glossapi_dagster.export import ExportOptions, export_dataset
out, fmt = Path(sys.argv[1]), sys.argv[2]
me = psutil.Process()
base, peak, stop = me.memory_info().rss, [0], threading.Event()
def sample():  # the resident set every 5 ms: ru_maxrss would keep the imports' own peak
    while not stop.is_set():
        peak[0] = max(peak[0], me.memory_info().rss)
        time.sleep(0.005)
threading.Thread(target=sample, daemon=True).start()
started = time.perf_counter()
report = export_dataset(out, out.parent / ('export-' + fmt), ExportOptions(format=fmt, shard_size_bytes=64 << 20))
sec = time.perf_counter() - started
stop.set()
print(json.dumps({'format': fmt, 'docs': report.records, 'seconds': round(sec, 1),
                  'growth_mb': round((max(peak[0], me.memory_info().rss) - base) / 2**20, 1)}))
"""


def memory(sizes: list[int], words: int = 150) -> list[dict]:
    """Peak RSS above the baseline of whole exports (JSONL and parquet) of generated folders of
    `sizes` documents (~1.3 KB each), each export in a fresh process."""
    out = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench_export_mem_") as tmp:
            folder = Path(tmp) / "OUT"
            made = time.perf_counter()
            md_bytes = make_out(folder, n, words_per_doc=words, seed=n)
            print(f"generated {n} documents ({md_bytes / n:.0f} bytes each) in {time.perf_counter() - made:.0f} s",
                  flush=True)
            for fmt in ("jsonl_sharded", "parquet"):
                done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(folder), fmt, str(REPO)],
                                      capture_output=True, text=True, check=True)
                out.append(json.loads(done.stdout.strip().splitlines()[-1]))
                print(json.dumps(out[-1]), flush=True)
    return out


DEDUP_SCRIPT = r"""
import json, random, resource, sys, time
sys.path.insert(0, sys.argv[2])
from glossapi_dagster.export.dedup import Deduplicator
n = int(sys.argv[1])
rnd = random.Random(n)
letters = "αβγδεζηθικλμνξοπρστυφχψω"
vocab = ["".join(rnd.choice(letters) for _ in range(rnd.randint(2, 10))) for _ in range(8000)]
docs = []
d = Deduplicator()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started, made = time.perf_counter(), 0.0
for i in range(n):
    t = time.perf_counter()
    if i % 100 == 1:          # an exact copy of the previous document
        text = last
    elif i % 100 == 2:        # the previous one with its last paragraph dropped
        text = last.rsplit("\n\n", 1)[0]
    else:
        text = "\n\n".join(" ".join(rnd.choice(vocab) for _ in range(25)) for _ in range(10))
    last = text
    made += time.perf_counter() - t
    d.add(f"d{i:07d}", text)
added = time.perf_counter() - started - made
t = time.perf_counter()
res = d.resolve()
resolve = time.perf_counter() - t
print(json.dumps({"docs": n, "add_s": round(added, 2), "resolve_s": round(resolve, 2),
                  "us_per_doc": round((added + resolve) / n * 1e6, 1), "exact": res.exact, "near": res.near,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "rss_growth_mb": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024, 1)}))
"""


def dedup_cost(sizes: list[int]) -> list[dict]:
    out = []
    for n in sizes:
        done = subprocess.run([sys.executable, "-c", DEDUP_SCRIPT, str(n), str(REPO)], capture_output=True,
                              text=True, check=True)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(out[-1]), flush=True)
    return out


def jaccard(out: Path) -> None:
    from glossapi_dagster.export.dedup import normalise, shingles

    sets = {p.stem: set(shingles(normalise(p.read_text(encoding="utf-8")))) for p in sorted((out / "markdown").glob("*.md"))}
    sets = {k: v for k, v in sets.items() if v}
    pairs = []
    names = sorted(sets)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            inter = len(sets[a] & sets[b])
            pairs.append((inter / len(sets[a] | sets[b]), a, b))
    for j, a, b in sorted(pairs, reverse=True)[:12]:
        print(f"{j:.3f}  {a}  {b}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--dedup-sizes", default="1000,10000,100000")
    ap.add_argument("--jaccard-out", type=Path, default=None)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--memory-sizes", default="2000,10000,100000")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M:%S')}; load {os.getloadavg()[0]:.1f}")
    if args.jaccard_out:
        jaccard(args.jaccard_out)
    if not args.skip_throughput:
        throughput(args.docs)
    if args.memory_sizes:
        memory([int(s) for s in args.memory_sizes.split(",")])
    if args.dedup_sizes:
        dedup_cost([int(s) for s in args.dedup_sizes.split(",")])


if __name__ == "__main__":
    main()
