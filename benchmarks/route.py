"""A document's route from Corpus.extract to its markdown, measured: the package's files on the
call stack when the controller hands the document to the pool, then on the worker's stack when
the markdown is written, and every package file that ran at all (the route with its helpers).

"When the markdown is written": at the call of the store's write primitive that writes the
document's files, markdown last (state/atomic.py's atomic_write_files); the files above it are
the route, the primitive itself is a helper, as open() would be (on main at 5305def the route
ends in state/artifacts.py's write_artifacts, which calls it: the same place, 11 files).

    .venv/bin/python benchmarks/route.py [PDF]          # this tree
    PYTHONPATH=/path/to/other/tree .venv/bin/python benchmarks/route.py   # another tree (e.g. main's)

The worker's part runs in this process (ExtractTask.setup, then its process function on the
PDF: what pool/worker.py does with each item after unpickling the Task), so that its stack can
be read; pool/worker.py's loop is its first file. The controller's part is a real
Corpus.extract(phase1_backend='safe', accel_type='cpu') on an ephemeral Dagster instance.
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

import glossapi_dagster

PACKAGE = Path(glossapi_dagster.__file__).parent
HERE = Path(__file__).resolve().parent.parent
DEFAULT_PDF = HERE / "glossapi_dagster_tests" / "corpus" / "pdfs" / "2305.03393v1-pg9.pdf"  # one page, a text layer


def ours(filename: str) -> str | None:
    path = Path(filename)
    return str(path.relative_to(PACKAGE)) if path.is_relative_to(PACKAGE) else None


class Watch:
    """A profiler hook: every package file that runs, and the stack's files at a chosen call."""

    def __init__(self, target_file: str, target_name: str, callers_only: bool = False):
        self.target = (target_file, target_name)
        self.callers_only = callers_only  # the stack above the target: the target itself is a helper
        self.ran: list[str] = []
        self.stack: list[str] | None = None

    def __call__(self, frame, event, arg):
        if event != "call":
            return
        name = ours(frame.f_code.co_filename)
        if name is None:
            return
        if name not in self.ran and frame.f_code.co_name != "<module>":  # a function ran, not an import
            self.ran.append(name)
        if self.stack is None and (name, frame.f_code.co_name) == self.target:
            chain, f = [], frame.f_back if self.callers_only else frame
            while f is not None:
                mine = ours(f.f_code.co_filename)
                if mine and (not chain or chain[-1] != mine):
                    chain.append(mine)
                f = f.f_back
            self.stack = list(reversed(chain))


def controller(pdf: Path, work: Path) -> Watch:
    from glossapi_dagster import Corpus

    inp = work / "in"
    inp.mkdir()
    shutil.copy(pdf, inp / pdf.name)
    watch = Watch("pool/pool.py", "run")
    sys.setprofile(watch)
    try:
        Corpus(inp, work / "out", progress=False, log_level=logging.WARNING).extract(phase1_backend="safe",
                                                                                      accel_type="cpu")
    finally:
        sys.setprofile(None)
    return watch


def worker(pdf: Path, work: Path) -> Watch:
    from glossapi_dagster.phases.extract import ExtractTask
    from glossapi_dagster.pool.task import WorkerContext

    out = work / "worker-out"
    task = ExtractTask(str(out), {str(pdf): pdf.stem}, phase1_backend="safe", accel_type="cpu")
    watch = Watch("state/atomic.py", "atomic_write_files", callers_only=True)
    sys.setprofile(watch)
    try:
        process = task.setup(WorkerContext("gpu0", None, 1, os.getpid(), logging.getLogger("route")))
        process(str(pdf))
    finally:
        sys.setprofile(None)
    return watch


def main() -> None:
    pdf = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PDF
    with tempfile.TemporaryDirectory() as tmp:
        ctl = controller(pdf, Path(tmp))
        wrk = worker(pdf, Path(tmp))
    route = (ctl.stack or []) + ["pool/worker.py"] + (wrk.stack or [])
    print(f"package: {PACKAGE}\nPDF: {pdf.name}")
    print(f"route ({len(route)} steps, {len(set(route))} files):")
    for step in route:
        print(f"  {step}")
    helpers = sorted(set(ctl.ran) | set(wrk.ran) | {"pool/worker.py"})
    print(f"files whose functions ran (route and helpers): {len(helpers)}")
    largest = sorted(((sum(1 for _ in open(p, encoding='utf-8')), str(p.relative_to(PACKAGE)))
                      for p in PACKAGE.rglob("*.py")), reverse=True)[:8]
    print("largest files: " + ", ".join(f"{name} {lines}" for lines, name in largest))


if __name__ == "__main__":
    main()
