"""`python -m glossapi_dagster.run_sample`: the main job on a corpus (the bundled sample by default),
both phases (extraction, then math enrichment), on the Dagster instance that DAGSTER_HOME names,
then where the outputs are and a summary."""
from __future__ import annotations

import argparse
import os
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from .defs.resources import CorpusResource, GpuPoolResource, default_input_dir, default_output_dir

    p = argparse.ArgumentParser(prog="python -m glossapi_dagster.run_sample", description=__doc__)
    p.add_argument("--input-dir", default=default_input_dir())
    p.add_argument("--output-dir", default=default_output_dir())
    p.add_argument("--devices", default=None, help="comma-separated device ids, e.g. 0,1 (default: detect)")
    p.add_argument("--accel-type", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--pipeline", default="native", choices=["native", "standard", "auto"])
    p.add_argument("--math-engine", default="auto", choices=["auto", "textlayer", "codeformula"],
                   help="Phase 2's backend (auto: CodeFormula where its weights are present, else the text layer)")
    p.add_argument("--skip-math", action="store_true", help="Phase 1 only")
    p.add_argument("--ocr-engine", default="auto", choices=["auto", "tesseract", "rapidocr"],
                   help="OCR for the pages whose text layer fails (auto: RapidOCR with a Greek recogniser, else Tesseract)")
    p.add_argument("--ocr-langs", default="ell+eng", help="Tesseract languages (add grc for polytonic)")
    p.add_argument("--do-ocr", action="store_true", help="OCR the pages whose text layer fails (scanned, empty, "
                   "garbled) with --ocr-engine; the other pages keep their text layer")
    args = p.parse_args(argv)

    from dagster import DagsterInstance

    from .defs.materialize import materialize_extraction, materialize_manifest, materialize_math
    from .state import OutputLayout, ProgressStore

    home = os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").absolute()))
    Path(home).mkdir(parents=True, exist_ok=True)
    devices = [int(d) for d in args.devices.split(",")] if args.devices else None
    resources = {
        "corpus": CorpusResource(input_dir=str(Path(args.input_dir).absolute()),
                                 output_dir=str(Path(args.output_dir).absolute())),
        "gpu_pool": GpuPoolResource(devices=devices, accel_type=args.accel_type,
                                    use_gpus="multi" if devices is None else "single"),
    }
    with DagsterInstance.get() as instance:
        materialize_manifest(instance, resources)
        result = materialize_extraction(instance, resources, pipeline=args.pipeline, do_ocr=args.do_ocr,
                                        ocr_engine=args.ocr_engine, ocr_langs=args.ocr_langs)
        math = None
        if not args.skip_math and (result is None or result.success):
            math = materialize_math(instance, resources, math_engine=args.math_engine)
    layout = OutputLayout(args.output_dir)
    df = ProgressStore(layout.store_dir).read()
    print(f"\nDagster instance: {home} (run `dagster dev` with DAGSTER_HOME={home} to see the runs)")
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
    ok = (result is None or result.success) and (math is None or math.success)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
