"""Where the safe backend's CPU goes, per step of a worker's document, a page (issue 29).

    GLOSSAPI_TEST_CORPUS=/work/shared/corpus .venv/bin/python benchmarks/bench_safe_stages.py [--passes 3] [--rounds 3] [--before TREE]

Runs, in one process, what a 'safe' worker runs for each document of $GLOSSAPI_TEST_CORPUS/pdfs
(default ../shared/corpus/pdfs; the PDFs it cannot read are left out): ExtractTask's processor
(conversion, triage, the five files), --passes times over the corpus, with the process's CPU time
(time.process_time) summed around each step: pdfium's own calls (LOAD_PAGE, LOAD_TEXT, the
closes), read_blocks (the text, lines and blocks), repair_blocks (line joins, Unicode hygiene,
Greek repairs), the layout, build_document (the Docling dict), triage, write_artifacts. Then
pdfium's floor in the same process: page, text page, its text and the closes, nothing else.
"python after pdfium" is the whole step less pdfium's own calls.

--before TREE: the same run with the code of another checkout of this repository (e.g. a
detached worktree of main), alternated with this tree's, --rounds times each, in fresh
processes; the table gives each step's median. CPU time, not wall: on a shared machine a
process's own CPU seconds vary less, but they still grow with the load (caches, SMT), so
compare only figures of one run, and note `uptime`'s load beside them. What the first (untimed)
pass leaves is frozen out of the garbage collector's sight, as a worker freezes what its setup
built: a full collection's walk over the imports is no step's cost.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from measure import alternate, tree_arguments

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("GLOSSAPI_TEST_CORPUS", REPO.parent / "shared" / "corpus")) / "pdfs"
PDFIUM = ("LOAD_PAGE", "LOAD_TEXT", "CLOSE_TEXT", "CLOSE_PAGE", "CLOSE_DOCUMENT", "open_document")
CONVERT = ("read_blocks", "repair_blocks", "image_boxes", "image_cover", "top_first", "mark_headings",
           "mark_decorations", "mark_furniture", "build_document")
FINISH = ("triage", "text_stats", "per_page_stats", "write_artifacts")


def measure(tree: Path, passes: int) -> dict:
    """Per-step CPU ms a page of the code in tree (run in this process: a child's)."""
    sys.path.insert(0, str(tree))
    import logging
    import shutil
    import tempfile

    import glossapi_dagster.backends.extract.safe_pdf as safe_pdf
    import glossapi_dagster.phases.finish as finish
    from glossapi_dagster.backends.extract import pdfium_text as pt
    from glossapi_dagster.phases.extract_worker import ExtractTask
    from glossapi_dagster.pool.task import WorkerContext

    spent: dict[str, float] = defaultdict(float)
    clock = time.process_time

    def timed(module, name):
        fn = getattr(module, name)

        def call(*args, **kwargs):
            started = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += clock() - started
        setattr(module, name, call)

    for name in PDFIUM + CONVERT:
        timed(safe_pdf, name)
    for name in FINISH:
        timed(finish, name)
    files = sorted(str(p) for p in CORPUS.glob("*.pdf"))
    stems = {f: Path(f).stem for f in files}
    context = WorkerContext("cpu", None, 1, os.getpid(), logging.getLogger("stages"))
    readable, pages, total = [], 0, 0.0
    for n in range(passes + 1):  # a first pass, untimed: imports, the template, caches
        # each pass writes into a new folder, as a run does (a file that replaces one is synced)
        out = tempfile.mkdtemp(prefix="safe-stages-")
        try:
            process = ExtractTask(out, stems, phase1_backend="safe", accel_type="cpu").setup(context)
            if n == 0:
                for f in files:
                    try:
                        process(f)
                        readable.append(f)
                    except Exception:  # noqa: BLE001 - a PDF the backend refuses is left out
                        pass
                spent.clear()
                gc.freeze()  # as a worker does after its setup (pool/worker.py): full collections skip it
                continue
            started = clock()
            for f in readable:
                pages += process(f)["page_count"]
            total += clock() - started
        finally:
            shutil.rmtree(out, ignore_errors=True)
    started = clock()
    for _ in range(passes):
        for f in readable:
            document, count = pt.open_document(f)
            for index in range(count):
                page = pt.LOAD_PAGE(document, index)
                pt.PAGE_WIDTH(page), pt.PAGE_HEIGHT(page)
                text = pt.LOAD_TEXT(page)
                pt.page_text(text, pt.COUNT_CHARS(text))
                pt.CLOSE_TEXT(text)
                pt.CLOSE_PAGE(page)
            pt.CLOSE_DOCUMENT(document)
    floor = clock() - started
    ms = {name: 1000 * s / pages for name, s in spent.items()}
    pdfium = sum(ms.get(name, 0.0) for name in PDFIUM)
    return {"documents": len(readable), "pages": pages // passes, "whole step": 1000 * total / pages,
            "pdfium's calls": pdfium, "python after pdfium": 1000 * total / pages - pdfium,
            "pdfium floor (same process)": 1000 * floor / pages,
            **{name: ms.get(name, 0.0) for name in CONVERT + FINISH}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=3)
    tree_arguments(ap)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.passes)))
        return
    trees = {"before": args.before.resolve(), "after": REPO} if args.before else {"this tree": REPO}
    runs, loads = alternate(__file__, trees, args.rounds, ["--passes", str(args.passes)])
    first = runs[next(iter(trees))][0]
    print(f"{first['documents']} documents, {first['pages']} pages, {args.passes} passes a run, "
          f"{args.rounds} runs a tree alternated; load average (1 min) {min(loads):.1f}-{max(loads):.1f}\n")
    print("| CPU ms a page (median of the runs) | " + " | ".join(trees) + (" | after ÷ before |" if args.before else " |"))
    print("|---|" + "---:|" * (len(trees) + bool(args.before)))
    for key in [k for k in first if k not in ("documents", "pages")]:
        medians = [statistics.median(r[key] for r in runs[name]) for name in trees]
        ratio = f" | {medians[1] / medians[0]:.2f}" if args.before and medians[0] else (" | -" if args.before else "")
        print(f"| {key} | " + " | ".join(f"{m:.3f}" for m in medians) + ratio + " |")


if __name__ == "__main__":
    main()
