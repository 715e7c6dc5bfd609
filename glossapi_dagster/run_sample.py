"""`python -m glossapi_dagster.run_sample`: the main job on a corpus (the bundled sample by default),
both phases (extraction, then math enrichment), on the Dagster instance that DAGSTER_HOME names,
then where the outputs are and a summary.

The terminal shows a progress bar per phase, Dagster's warnings and errors, and the summary; every
event of the runs (DEBUG included) is in the instance, on each run's page of the UI."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .cli_flags import add_options, values_of
from .datamodel import ExtractOptions, ManifestOptions, MathOptions, PoolOptions

MODELS = (ManifestOptions, ExtractOptions, MathOptions, PoolOptions)


def parser() -> argparse.ArgumentParser:
    from .defs.resources import default_input_dir, default_output_dir

    p = argparse.ArgumentParser(prog="python -m glossapi_dagster.run_sample", description=__doc__)
    p.add_argument("--input-dir", default=default_input_dir())
    p.add_argument("--output-dir", default=default_output_dir())
    p.add_argument("--skip-math", action="store_true", help="Phase 1 only")
    add_options(p, *MODELS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    home = os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").absolute()))
    Path(home).mkdir(parents=True, exist_ok=True)
    from .corpus import Corpus

    extract = values_of(args, ExtractOptions, PoolOptions)
    extract["math_requested"] = args.math_requested or not args.skip_math  # 'auto' then takes Docling
    try:
        corpus = Corpus(args.input_dir, args.output_dir, shard_size=args.shard_size)
        phases = [corpus.extract(input_format=args.input_format, **extract)]
        if not args.skip_math:
            phases.append(corpus.ocr(mode="math_only", **values_of(args, MathOptions, PoolOptions)))
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"run_sample: error: {exc}", file=sys.stderr)
        return 2
    summary(corpus.output_dir, home, phases)
    return 0


def summary(out: Path, home: str, phases: list) -> None:
    from .state import OutputLayout, ProgressStore

    layout = OutputLayout(out)
    df = ProgressStore(layout.store_dir).read()
    print(f"\nDagster instance: {home} (run `dagster dev` with DAGSTER_HOME={home} to see the runs)")
    for phase in phases:
        print(phase)
    print(f"Outputs: {layout.root}/markdown, {layout.root}/json, store {layout.store_dir}/download_results.parquet")
    print(f"Documents: {len(df)}; by outcome: {df['extract_status'].value_counts(dropna=False).to_dict()}")
    for row in df[df["extract_status"] != "success"].itertuples():
        print(f"  {row.stem}: {row.extract_status} ({row.extract_error})")
    if "math_status" in df:
        print(f"Math (Phase 2): {df['math_status'].value_counts().to_dict()}; formulas decoded: "
              f"{int(df['math_accepted'].fillna(0).sum()) if 'math_accepted' in df else 0}, LaTeX in "
              f"{layout.root}/markdown and {layout.root}/json/<stem>.latex_map.jsonl")
        for row in df[df["math_status"].isin(["problematic", "fatal"])].itertuples():
            print(f"  {row.stem}: math {row.math_status} ({row.math_error})")


if __name__ == "__main__":
    raise SystemExit(main())
