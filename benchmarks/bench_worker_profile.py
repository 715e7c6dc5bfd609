"""Where the time goes inside a worker, for one document (issue 9, item 4).

    .venv/bin/python benchmarks/bench_worker_profile.py [--repeats 2] [--docs FEK_A_5_-_17.01.2018,...]

Runs, in this one process, exactly the steps ExtractTask's processor runs for a document, each
under its own timer, with Docling's own pipeline profiling on
(settings.debug.profile_pipeline_timings) so that the conversion is split further into Docling's
stages (doc_build = parse: the parser's page decode, waited for as native_parser_wait, plus
native_materialize; doc_assemble = native assembly: native_text_items, native_picture_items; ...).

Steps: convert (DoclingExtractor.convert, the text stage included) | export_to_markdown | text_stats +
per_page_stats | export_to_dict | json.dumps + zstd | file writes (write_artifacts, atomic,
fsync'd). Medians over --repeats per document. The converter is built once (as in a worker).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus" / "pdfs"
DOCS = "FEK_A_5_-_17.01.2018,GeoTopo-komprimiert,SampleThesis-GR"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--docs", default=DOCS)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()

    t = time.perf_counter()
    from docling.datamodel.settings import settings

    settings.debug.profile_pipeline_timings = True
    from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
    from glossapi_dagster.backends.quality.stats import per_page_stats, text_stats
    from glossapi_dagster.phases import finish
    from glossapi_dagster.state import OutputLayout

    ex = DoclingExtractor("native", 1, "cpu")
    print(f"converter set-up (imports + build, once per worker): {time.perf_counter() - t:.1f} s; "
          f"load {os.getloadavg()}", file=sys.stderr)

    steps = ["convert", "export_to_markdown", "text_stats + per_page_stats",
             "export_to_dict", "json.dumps + zstd", "file writes"]
    table = {}
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        layout = OutputLayout(tmp)
        for name in args.docs.split(","):
            path = args.corpus / f"{name}.pdf"
            runs, docling_runs = [], []
            for _ in range(args.repeats):
                r = {}
                t = time.perf_counter()
                conv = ex.convert(str(path))
                r["convert"] = time.perf_counter() - t
                t = time.perf_counter()
                md = conv.document.export_to_markdown()
                r["export_to_markdown"] = time.perf_counter() - t
                t = time.perf_counter()
                stats = text_stats(md)
                per_page = per_page_stats(conv.document)
                r["text_stats + per_page_stats"] = time.perf_counter() - t
                t = time.perf_counter()
                d = conv.document.export_to_dict()
                r["export_to_dict"] = time.perf_counter() - t
                t = time.perf_counter()
                blob = json.dumps(d, ensure_ascii=False).encode("utf-8")
                import zstandard

                zstandard.ZstdCompressor(level=3).compress(blob)
                r["json.dumps + zstd"] = time.perf_counter() - t
                t = time.perf_counter()
                finish.write_artifacts(layout, name, conv.document, md, {"stem": name, **stats},
                                       {**stats, "timings": conv.timings, "per_page": per_page})
                # write_artifacts re-does export_to_dict + json + zstd before writing: take those out
                r["file writes"] = max(0.0, time.perf_counter() - t - r["export_to_dict"] - r["json.dumps + zstd"])
                r["total"] = sum(r[s] for s in steps)
                runs.append(r)
                docling_runs.append(conv.timings)
                print(name, conv.page_count, {k: round(v, 3) for k, v in r.items()},
                      {k: round(v, 3) for k, v in conv.timings.items()}, file=sys.stderr)
            med = {k: statistics.median(x[k] for x in runs) for k in runs[0]}
            dmed = {k: statistics.median(x.get(k, 0.0) for x in docling_runs) for k in docling_runs[0]}
            table[name] = (conv.page_count, med, dmed)

    print(f"\nOne worker's steps per document (median of {args.repeats}), seconds and % of the document's total\n")
    print("| step | " + " | ".join(f"{n} ({p} pages)" for n, (p, _, _) in table.items()) + " |")
    print("|:---|" + "---:|" * len(table))
    for s in steps + ["total"]:
        cells = [f"{m[s]:.3f} ({100 * m[s] / m['total']:.1f}%)" for _, m, _ in table.values()]
        print(f"| {s} | " + " | ".join(cells) + " |")
    print("| ms per page, total | " + " | ".join(f"{1000 * m['total'] / p:.1f}" for p, m, _ in table.values()) + " |")
    print("\nDocling's own stage timings inside `convert` (profile_pipeline_timings), seconds, median\n")
    keys = sorted({k for _, _, d in table.values() for k in d})
    print("| Docling stage | " + " | ".join(table) + " |")
    print("|:---|" + "---:|" * len(table))
    for k in keys:
        print(f"| {k} | " + " | ".join(f"{d.get(k, 0.0):.3f}" for _, _, d in table.values()) + " |")
    print("\nRAW " + json.dumps({n: {"pages": p, "steps": m, "docling": d} for n, (p, m, d) in table.items()}))


if __name__ == "__main__":
    main()
