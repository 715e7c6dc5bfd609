"""`glossapi-dagster`: GlossAPI's Corpus calls from a shell. Every call is a recorded Dagster run
on the instance that DAGSTER_HOME names (an ephemeral one when unset)."""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from .cli_flags import add_options, names, values_of
from .datamodel import (AnnotateOptions, DownloadOptions, ExtractOptions, ManifestOptions, MathOptions, OcrOptions,
                        PoolOptions, SectionOptions)
from .datamodel.options import OCR_MODES

EXTRACT_MODELS = (ManifestOptions, ExtractOptions, PoolOptions)
QUIET = logging.WARNING  # the command prints its own summary; Corpus's INFO lines would repeat it
OCR_MODELS = (OcrOptions, MathOptions, PoolOptions)
EPILOG = """examples:
  glossapi-dagster download IN OUT --url-column url --per-host-concurrency 4
  glossapi-dagster extract IN OUT --input-format pdf --use-gpus multi
  glossapi-dagster extract IN OUT --devices 0,1 --accel-type cpu     # no GPU: one CPU worker per id
  glossapi-dagster ocr OUT --mode ocr_bad_then_math --math-batch-size 12
  glossapi-dagster status OUT
  glossapi-dagster section OUT && glossapi-dagster annotate OUT --classifier structural
  glossapi-dagster export OUT DEST --format parquet --shard-size-mb 500 --exclude-sections bibliography
Set DAGSTER_HOME to keep the runs (and see them in `dagster dev`)."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glossapi-dagster", description=__doc__, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    ex = sub.add_parser("extract", help="Phase 1: every document of IN to OUT/markdown and OUT/json",
                        description="Phase 1: every document of IN becomes OUT/markdown/<stem>.md and "
                                    "OUT/json/<stem>.docling.json.zst; progress in OUT/download_results.")
    ex.add_argument("input_dir", help="folder of documents (searched recursively)")
    ex.add_argument("output_dir", help="output folder (GlossAPI's layout)")
    add_options(ex, *EXTRACT_MODELS)

    dl = sub.add_parser("download", help="GlossAPI's download(): the links of IN's link list into OUT/downloads",
                        description="The links of IN's first *.parquet (or --input-parquet; CSV and JSONL too) fetched "
                                    "into OUT/downloads politely, one row per link in OUT/download_results with every "
                                    "column of the list; a rerun fetches only what is left. extract then takes the files.")
    dl.add_argument("input_dir", help="folder holding the link list")
    dl.add_argument("output_dir", help="output folder (GlossAPI's layout)")
    dl.add_argument("--shard-size", type=int, default=ManifestOptions.model_fields["shard_size"].default,
                    help=ManifestOptions.model_fields["shard_size"].description)
    add_options(dl, DownloadOptions)

    oc = sub.add_parser("ocr", help="OCR the documents triage flagged, and/or decode their math (Phase 2)",
                        description="GlossAPI's ocr(): re-extract with full-page OCR the documents flagged "
                                    "needs_ocr, then decode formulas to LaTeX; OUT is the output folder of extract.")
    oc.add_argument("output_dir", help="the output folder of a previous extract")
    oc.add_argument("--mode", choices=OCR_MODES, default="ocr_bad_then_math",
                    help="what to do (default: ocr_bad_then_math)")
    add_options(oc, *OCR_MODELS)

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
    xp.add_argument("--by-section", action="store_true", help="one record per section (after section, annotate)")
    xp.add_argument("--exclude-sections", type=names, default=None,
                    help="sections left out, by label or name: bibliography,π,index (after section, annotate)")

    se = sub.add_parser("section", help="GlossAPI's section(): OUT's usable markdown cut into sections",
                        description="OUT/sections/sections_for_annotation.parquet, GlossAPI's columns.")
    se.add_argument("output_dir", help="the output folder of a previous extract")
    add_options(se, SectionOptions)
    an = sub.add_parser("annotate", help="GlossAPI's annotate(): every section labelled, then fully annotated",
                        description="OUT/classified_sections.parquet and OUT/fully_annotated_sections.parquet.")
    an.add_argument("output_dir", help="the output folder of a previous section")
    add_options(an, AnnotateOptions)

    st = sub.add_parser("status", help="counts by outcome, the skip-list and the quarantine of OUT")
    st.add_argument("output_dir")
    st.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    warnings.filterwarnings("ignore", message=".*is currently in (beta|preview)")  # Dagster's, at import
    from .defs.terminal import failures_left_to_the_log

    with failures_left_to_the_log():  # an error is one line of ours; its stack trace stays in the run's log
        return _main(args)


def _main(args) -> int:
    try:
        if args.command == "status":
            return _status(Path(args.output_dir), args.json)
        from .corpus import Corpus, check_folder

        if args.command == "download":
            corpus = Corpus(args.input_dir, args.output_dir, shard_size=args.shard_size, log_level=QUIET)
            work = lambda: _download_line(corpus.download(**values_of(args, DownloadOptions)))  # noqa: E731
        elif args.command == "extract":
            corpus = Corpus(args.input_dir, args.output_dir, shard_size=args.shard_size, log_level=QUIET)
            work = lambda: corpus.extract(input_format=args.input_format,  # noqa: E731
                                          **values_of(args, ExtractOptions, PoolOptions))
        elif args.command == "ocr":
            check_folder(Path(args.output_dir).absolute(), "output")  # OUT is the one folder this command names
            work = lambda: Corpus(args.output_dir, args.output_dir, log_level=QUIET).ocr(  # noqa: E731
                mode=args.mode, **values_of(args, *OCR_MODELS))
        elif args.command == "export":
            work = lambda: _export(args)  # noqa: E731
        elif args.command in ("section", "annotate"):
            work = lambda: _sections(args)  # noqa: E731
        print(_interruptible(work, Path(args.output_dir), getattr(args, "mode", args.command)))
        return 0
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"glossapi-dagster: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        from .state.errors import OutputUnavailable, is_resource_error

        if not is_resource_error(exc):
            raise
        print(f"glossapi-dagster: error: {OutputUnavailable.of(Path(args.output_dir).absolute(), exc)}", file=sys.stderr)
        return 2


def _interruptible(work, out: Path, command: str):
    """Run `work` on a thread, so that Dagster leaves the signals to us: Ctrl-C and SIGTERM are a
    normal way to stop, not a failure. On either: the workers are stopped, one line says how far
    the corpus got, and the exit code is 128 + the signal (130, 143). A rerun resumes. `command`:
    the command, or the ocr command's mode (what the line counts)."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    received: list[int] = []
    handlers = {sig: signal.signal(sig, lambda signo, frame: received.append(signo))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    thread = threading.Thread(target=target, name="glossapi-run", daemon=True)
    thread.start()
    try:
        while thread.is_alive() and not received:
            thread.join(0.2)
    finally:
        if received:
            _stop_interrupted(received[0], out, command)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _stop_interrupted(signo: int, out: Path, command: str) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
    from .pool.pool import close_all

    # What the run thread prints of its own end from now on (Dagster's tracebacks of a run whose
    # pool was closed under it) is noise: the one line below says what happened.
    sys.stdout.flush()
    sys.stderr.flush()
    err = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        close_all()
    except Exception:  # whatever the run thread was doing: the workers die with us (PDEATHSIG) anyway
        pass
    from .defs.instance import remove_instance_dirs

    remove_instance_dirs()  # os._exit below skips every cleanup: the throw-away instance's folder
    line = f"\ninterrupted; {_progress(out, command)}, run again to resume\n"
    os.write(err, line.encode())
    os._exit(128 + signo)  # the run thread holds no state that a rerun needs: the store is on disk


# What a command (an ocr mode) has done, as the store says it: the column, and its finished values
# (None: any value; ocr_success is set, True or False, once a document's OCR is over).
DONE = {"extract": ("extract_status", ("success", "problematic"), "done"),
        "ocr_bad": ("ocr_success", None, "OCR'd"),
        "math_only": ("math_status", ("success", "problematic", "no_math", "fatal"), "through math"),
        "download": ("download_status", ("downloaded", "duplicate", "failed", "retry"), "done")}
PARTS = {"ocr_bad_then_math": ("ocr_bad", "math_only")}


def _progress(out: Path, what: str) -> str:
    """'N documents done' (or, for a mode of two phases, each one's); the line must come out
    whatever the store's state."""
    try:
        from .state import OutputLayout, ProgressStore

        df = ProgressStore(OutputLayout(out).store_dir).read([c for c, _, _ in DONE.values()])
    except Exception:
        return "no documents done"
    said = []
    for part in PARTS.get(what, (what,)):
        column, finished, verb = DONE.get(part, DONE["extract"])
        values = df[column] if column in df else None
        n = 0 if values is None else int((values.notna() if finished is None else values.isin(finished))
                                        .fillna(False).astype(bool).sum())
        noun = "links" if part == "download" else "documents"
        said.append(f"{n} {noun} {verb}" if not said else f"{n} {verb}")
    return ", ".join(said)


def _download_line(rows) -> str:
    """One line from download()'s frame: the list's links by outcome."""
    counts = rows["download_status"].value_counts().to_dict() if len(rows) else {}
    return ("download: " + ", ".join(f"{int(n)} {s}" for s, n in sorted(counts.items())) +
            f" of {len(rows)} links" + (f" -> {rows['path'].dropna().iloc[0].rsplit('/', 1)[0]}"
                                        if "path" in rows and rows["path"].notna().any() else ""))


def _export(args) -> str:
    from .corpus import Corpus, check_folder
    from .datamodel import build
    from .datamodel.export import ExportOptions
    from .export.dataset import checked
    from .export.dest import check_dest

    check_folder(Path(args.output_dir).absolute(), "output")
    size = int(args.shard_size_mb * 1024 * 1024)
    options = dict(shard_size_bytes=size, shard_prefix=args.shard_prefix, dedup=not args.no_dedup,
                   near_threshold=args.near_threshold, by_section=args.by_section,
                   exclude_sections=args.exclude_sections)
    # the options and DEST before any work: clean records its decisions in the store
    checked(build(ExportOptions, **{k: v for k, v in options.items() if v is not None}))
    check_dest(args.dest, args.output_dir)
    c = Corpus(args.output_dir, args.output_dir, progress=False, log_level=QUIET)
    c.clean(drop_bad=not args.keep_bad)
    files = (c.parquet_sharded(args.dest, **options) if args.format == "parquet" else c.jsonl_sharded(args.dest, **options))
    e = c.last_export
    return (f"export: {e['records']} records in {len(files)} shard(s) ({e['shards_written']} written, "
            f"{e['shards_unchanged']} unchanged), {e['duplicates_dropped']} duplicates and "
            f"{e['documents_filtered']} filtered documents left out -> {args.dest}")


def _sections(args) -> str:
    from .corpus import Corpus

    options = values_of(args, AnnotateOptions if args.command == "annotate" else SectionOptions)
    c = Corpus(args.output_dir, args.output_dir, progress=False, log_level=QUIET, metadata_path=options.pop("metadata_path", None),
               annotation_mapping=options.pop("annotation_mapping", None))
    if args.command == "section":
        f = c.section(**options)
        return f"section: {f['sections']} sections of {f['documents']} documents -> {f['path']}"
    f = c.annotate(**options)
    return (f"annotate: {f['sections']} sections of {f['documents']} documents labelled by {f['labeller']}: "
            f"{f['labels']} -> {f['fully_annotated'] or f['classified']}")


def _status(out: Path, as_json: bool) -> int:
    """Works on any state of the store (during a run, after a killed one) and without write access."""
    from .state import OutputLayout, ProgressStore, SkipList
    from .state.claims import Claims

    layout = OutputLayout(out)
    if not layout.store_dir.exists():
        print(f"glossapi-dagster: error: no progress store in {out} (run extract first)", file=sys.stderr)
        return 2
    store = ProgressStore(layout.store_dir)
    df = store.read()
    orphans = store.orphans()
    links = df[df["url"].notna()] if "url" in df else df.iloc[:0]
    status = {
        "documents": len(df),
        "download": _counts(links, "download_status"),
        "extract": _counts(df, "extract_status"),
        "pending": len(store.pending("extract_status")),
        "in_progress": len(Claims(layout.store_dir, "extract").active()),
        "missing": _true(df, "missing"),
        "needs_ocr": _true(df, "needs_ocr"),
        "ocr_success": _true(df, "ocr_success"),
        "math_enriched": _true(df, "math_enriched"),
        "skiplist": sorted(SkipList(layout.skiplist).read()),
        "quarantine": sorted(p.name for kind in ("downloads", "json") if layout.quarantine(kind).is_dir()
                             for p in layout.quarantine(kind).iterdir()),
        "warnings": [] if orphans is None else [
            f"{store.path} is missing but its journal is not: {orphans} of these rows have lost their file; "
            f"run extract again to rebuild the store"],
    }
    if as_json:
        print(json.dumps(status, indent=1, ensure_ascii=False))
        return 0
    for warning in status["warnings"]:
        print(f"warning: {warning}")
    print(f"{status['documents']} documents in {layout.store_dir}")
    if status["download"]:
        print("  download " + "  ".join(f"{k}: {v}" for k, v in status["download"].items()))
    for outcome, n in status["extract"].items():
        print(f"  extract {outcome}: {n}")
    print(f"  to extract: {status['pending']} (in progress now: {status['in_progress']})  "
          f"missing files: {status['missing']}")
    print(f"  needs_ocr: {status['needs_ocr']}  ocr_success: {status['ocr_success']}  "
          f"math_enriched: {status['math_enriched']}")
    print(f"skip-list ({layout.skiplist}): {len(status['skiplist'])}" +
          "".join(f"\n  {s}" for s in status["skiplist"]))
    print(f"quarantine: {len(status['quarantine'])} files" + "".join(f"\n  {q}" for q in status["quarantine"]))
    return 0


def _true(df, column: str) -> int:
    return int(df[column].fillna(False).astype(bool).sum()) if column in df else 0


def _counts(df, column: str) -> dict[str, int]:
    """Rows by value; a row without one (a run has not reached it) is pending."""
    import pandas as pd

    if column not in df:
        return {"pending": len(df)} if len(df) else {}
    counts: dict[str, int] = {}
    for value, n in df[column].value_counts(dropna=False).items():
        key = "pending" if pd.isna(value) else str(value)
        counts[key] = counts.get(key, 0) + int(n)
    return counts


if __name__ == "__main__":
    raise SystemExit(main())
