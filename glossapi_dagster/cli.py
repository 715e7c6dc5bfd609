"""`glossapi-dagster`: GlossAPI's Corpus calls from a shell. Every call is a recorded Dagster run
on the instance that DAGSTER_HOME names (an ephemeral one when unset)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EPILOG = """examples:
  glossapi-dagster extract IN OUT --input-format pdf --use-gpus multi
  glossapi-dagster extract IN OUT --devices 0,1 --accel-type cpu     # no GPU: one CPU worker per id
  glossapi-dagster ocr OUT --mode ocr_bad_then_math --math-batch-size 12
  glossapi-dagster status OUT
  glossapi-dagster export OUT DEST --format parquet --shard-size-mb 500
Set DAGSTER_HOME to keep the runs (and see them in `dagster dev`)."""


def _devices(text: str) -> list[int]:
    try:
        return [int(d) for d in text.split(",") if d.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--devices takes comma-separated GPU ids like 0,1 (got {text!r})")


def _pool_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--use-gpus", choices=["single", "multi"], default="single",
                   help="one GPU, or every GPU found (default: single)")
    p.add_argument("--devices", type=_devices, default=None, help="explicit GPU ids, e.g. 0,1,3 (overrides --use-gpus)")
    p.add_argument("--accel-type", choices=["cuda", "cpu"], default="cuda",
                   help="cuda (default; checked before any work) or cpu (workers bound like GPU workers)")
    p.add_argument("--num-threads", type=int, default=None, help="threads per worker (default: min(cpus, 2 x devices))")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glossapi-dagster", description=__doc__, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    ex = sub.add_parser("extract", help="Phase 1: every document of IN to OUT/markdown and OUT/json",
                        description="Phase 1: every document of IN becomes OUT/markdown/<stem>.md and "
                                    "OUT/json/<stem>.docling.json.zst; progress in OUT/download_results.")
    ex.add_argument("input_dir", help="folder of documents (searched recursively)")
    ex.add_argument("output_dir", help="output folder (GlossAPI's layout)")
    ex.add_argument("--input-format", default="all", help="pdf, docx, html, xml, md, pptx or all (default: all)")
    ex.add_argument("--phase1-backend", choices=["auto", "safe", "docling"], default="auto",
                    help="safe: pypdfium2 (fast); docling; auto: safe unless OCR or math is asked (default)")
    ex.add_argument("--pipeline", choices=["native", "standard", "auto"], default="native",
                    help="Docling's pipeline (standard needs its model weights)")
    ex.add_argument("--force-ocr", action="store_true", help="OCR every page, ignoring the text layer")
    ex.add_argument("--benchmark-mode", action="store_true", help="skip the per-document metrics files")
    ex.add_argument("--reprocess", action="store_true", help="extract problematic documents again")
    _pool_args(ex)

    oc = sub.add_parser("ocr", help="OCR the documents triage flagged, and/or decode their math (Phase 2)",
                        description="GlossAPI's ocr(): re-extract with full-page OCR the documents flagged "
                                    "needs_ocr, then decode formulas to LaTeX; OUT is the output folder of extract.")
    oc.add_argument("output_dir", help="the output folder of a previous extract")
    oc.add_argument("--mode", choices=["ocr_bad", "math_only", "ocr_bad_then_math"], default="ocr_bad_then_math",
                    help="what to do (default: ocr_bad_then_math)")
    oc.add_argument("--math-batch-size", type=int, default=8, help="formulas per model call (default: 8)")
    oc.add_argument("--math-engine", choices=["auto", "textlayer", "codeformula"], default="auto",
                    help="codeformula (Docling's model; needs its weights), textlayer, or auto (default)")
    oc.add_argument("--reprocess", action="store_true", help="redo documents that failed or were done")
    _pool_args(oc)

    xp = sub.add_parser("export", help="the usable, deduplicated documents of OUT as a training dataset in DEST",
                        description="clean() then jsonl_sharded() (zstd JSONL shards) or parquet_sharded() (zstd "
                                    "parquet shards and a dataset card) into DEST; unchanged shards are kept.")
    xp.add_argument("output_dir", help="the output folder of a previous extract")
    xp.add_argument("dest", help="folder of the dataset")
    xp.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl", help="jsonl (zstd shards) or parquet")
    xp.add_argument("--shard-size-mb", type=float, default=500.0, help="uncompressed MiB a shard holds at most (500)")
    xp.add_argument("--shard-prefix", default="train", help="shard names start with this (default: train)")
    xp.add_argument("--no-dedup", action="store_true", help="keep duplicates")
    xp.add_argument("--near-threshold", type=float, default=None, help="MinHash Jaccard of near duplicates")
    xp.add_argument("--keep-bad", action="store_true", help="clean with drop_bad=False: flagged documents too")

    st = sub.add_parser("status", help="counts by outcome, the skip-list and the quarantine of OUT")
    st.add_argument("output_dir")
    st.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "status":
            return _status(Path(args.output_dir), args.json)
        from .corpus import Corpus

        if args.command == "extract":
            summary = Corpus(args.input_dir, args.output_dir).extract(
                input_format=args.input_format, num_threads=args.num_threads, use_gpus=args.use_gpus,
                devices=args.devices, force_ocr=args.force_ocr, benchmark_mode=args.benchmark_mode,
                accel_type=args.accel_type, phase1_backend=args.phase1_backend, pipeline=args.pipeline,
                reprocess=args.reprocess)
        elif args.command == "ocr":
            summary = Corpus(args.output_dir, args.output_dir).ocr(
                use_gpus=args.use_gpus, devices=args.devices, math_batch_size=args.math_batch_size, mode=args.mode,
                accel_type=args.accel_type, num_threads=args.num_threads, math_engine=args.math_engine,
                reprocess=args.reprocess)
        elif args.command == "export":
            summary = _export(args)
        print(summary)
        return 0
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"glossapi-dagster: error: {exc}", file=sys.stderr)
        return 2


def _export(args) -> str:
    from .corpus import Corpus

    c = Corpus(args.output_dir, args.output_dir, progress=False)
    c.clean(drop_bad=not args.keep_bad)
    size = int(args.shard_size_mb * 1024 * 1024)
    options = dict(shard_size_bytes=size, shard_prefix=args.shard_prefix, dedup=not args.no_dedup,
                   near_threshold=args.near_threshold)
    files = (c.parquet_sharded(args.dest, **options) if args.format == "parquet" else c.jsonl_sharded(args.dest, **options))
    e = c.last_export
    return (f"export: {e['records']} records in {len(files)} shard(s) ({e['shards_written']} written, "
            f"{e['shards_unchanged']} unchanged), {e['duplicates_dropped']} duplicates and "
            f"{e['documents_filtered']} filtered documents left out -> {args.dest}")


def _status(out: Path, as_json: bool) -> int:
    from .state import OutputLayout, ProgressStore, SkipList

    layout = OutputLayout(out)
    if not layout.store_dir.exists():
        print(f"glossapi-dagster: error: no progress store in {out} (run extract first)", file=sys.stderr)
        return 2
    df = ProgressStore(layout.store_dir).read()
    status = {
        "documents": len(df),
        "extract": _counts(df, "extract_status"),
        "needs_ocr": int(df["needs_ocr"].fillna(False).astype(bool).sum()) if "needs_ocr" in df else 0,
        "ocr_success": int(df["ocr_success"].fillna(False).astype(bool).sum()) if "ocr_success" in df else 0,
        "math_enriched": int(df["math_enriched"].fillna(False).astype(bool).sum()) if "math_enriched" in df else 0,
        "skiplist": sorted(SkipList(layout.skiplist).read()),
        "quarantine": sorted(p.name for kind in ("downloads", "json") if layout.quarantine(kind).is_dir()
                             for p in layout.quarantine(kind).iterdir()),
    }
    if as_json:
        print(json.dumps(status, indent=1, ensure_ascii=False))
        return 0
    print(f"{status['documents']} documents in {layout.store_dir}")
    for outcome, n in status["extract"].items():
        print(f"  extract {outcome}: {n}")
    print(f"  needs_ocr: {status['needs_ocr']}  ocr_success: {status['ocr_success']}  "
          f"math_enriched: {status['math_enriched']}")
    print(f"skip-list ({layout.skiplist}): {len(status['skiplist'])}" +
          "".join(f"\n  {s}" for s in status["skiplist"]))
    print(f"quarantine: {len(status['quarantine'])} files" + "".join(f"\n  {q}" for q in status["quarantine"]))
    return 0


def _counts(df, column: str) -> dict[str, int]:
    if column not in df:
        return {}
    return {str(k) if k == k else "pending": int(v) for k, v in df[column].value_counts(dropna=False).items()}


if __name__ == "__main__":
    raise SystemExit(main())
