"""The CLI's own start-up (issue 29): `glossapi-dagster extract` of a one-page PDF, beside the floor
that Dagster alone sets (its import, and its import with the ephemeral instance every CLI call
records its runs on), each a fresh process, stages and trees alternated round by round.

    .venv/bin/python benchmarks/bench_cli_startup.py [--rounds 5] [--before ../main-tree] [--pdf one.pdf]

Stages: `python` (the interpreter, -c pass), `import cli` (glossapi_dagster.cli: what `--help`
pays), `import dagster`, `dagster + instance` (import dagster; DagsterInstance.ephemeral()), and
`extract 1 page` (`python -m glossapi_dagster.cli extract IN OUT --accel-type cpu --devices 0`,
DAGSTER_HOME unset, a fresh OUT each time). Wall is the child's from spawn to exit; CPU is user +
system of it and of its children (the extract's worker). Medians of the rounds; the load average
before the first and after the last round is printed: on a shared machine compare the trees of one
run, not runs. A tree runs with this interpreter in its own folder (`-m`, so its package is the one
imported).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PDF = REPO / "glossapi_dagster_tests" / "corpus" / "pdfs" / "ocr_test.pdf"  # one page, a text layer

STAGES = {
    "python": ["-c", "pass"],
    "import cli": ["-c", "import glossapi_dagster.cli"],
    "import dagster": ["-c", "import dagster"],
    "dagster + instance": ["-c", "import dagster; dagster.DagsterInstance.ephemeral().dispose()"],
    "extract 1 page": ["-m", "glossapi_dagster.cli", "extract", "{in}", "{out}", "--accel-type", "cpu", "--devices", "0"],
}


def once(tree: Path, argv: list[str], folder: Path) -> tuple[float, float]:
    out = folder / "out"
    shutil.rmtree(out, ignore_errors=True)
    argv = [a.replace("{in}", str(folder / "in")).replace("{out}", str(out)) for a in argv]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, *argv], cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--before", type=Path, help="another checkout's tree, run alternately with this one")
    ap.add_argument("--pdf", type=Path, default=PDF)
    ap.add_argument("--stages", default=",".join(STAGES))
    args = ap.parse_args()
    trees = {"this tree": REPO, **({"before": args.before.resolve()} if args.before else {})}
    stages = args.stages.split(",")
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        folder = Path(tmp)
        (folder / "in").mkdir()
        shutil.copy(args.pdf, folder / "in" / args.pdf.name)
        for tree in trees.values():  # warm the page cache and the bytecode once, uncounted
            once(tree, STAGES["extract 1 page"], folder)
        for _ in range(args.rounds):
            for stage in stages:
                for name, tree in trees.items():
                    results.setdefault((stage, name), []).append(once(tree, STAGES[stage], folder))
    load1 = os.getloadavg()
    print(f"{args.rounds} rounds, stages and trees alternated; load average {load0[0]:.2f} before, "
          f"{load1[0]:.2f} after; medians, wall s (CPU s)\n")
    print("| stage | " + " | ".join(trees) + " |")
    print("|---|" + "---:|" * len(trees))
    for stage in stages:
        cells = []
        for name in trees:
            runs = results[(stage, name)]
            cells.append(f"{statistics.median(w for w, _ in runs):.2f} ({statistics.median(c for _, c in runs):.2f})")
        print(f"| {stage} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
