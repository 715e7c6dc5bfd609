"""Long documents and long runs (issue 18): page ranges, and worker recycling.

    .venv/bin/python benchmarks/bench_ranges.py [--pages 1000] [--unit 100] [--short 50]
        [--rss-docs 300] [--recycle-items 50] [--sections long,mixed,rss,unit]
        [--ocr-pages 120] [--ocr-unit 20] [--math-pages 468] [--math-unit 50]

All through Docling's native pipeline (no weights), CPU workers bound as GPU workers would be,
the engine as the asset runs it (update_manifest, then run_extraction), each configuration into
a fresh output folder, one after another in the same run.

long   one PDF of --pages pages (corpus documents joined by pypdfium2's import_pages) on 1 and 2
       workers, with ranges of --unit pages and without (max_pages_per_unit=None): makespans and
       the 1-to-2-worker ratio of each.
mixed  that PDF plus --short short documents on 2 workers: makespan against the work (the sum of
       every item's conversion seconds) divided by the workers.
rss    --rss-docs short documents on 1 worker, without recycling and with max_items_per_worker=
       --recycle-items: the worker's RSS (sampled every 0.2 s) at its peak and at the end, and
       documents per second.
unit   the cost of a range: --pages/10 pages as one range and as ranges of 10, 25 and 50 pages.
ceiling what two processes get from this machine at once: the same fixed CPU work (a pure-Python
       loop, and a Docling conversion of one 100-page range) in 1 process, then in 2 side by side;
       2 x (one alone) / (two together) is the most any 2-worker run can gain here.
ocr    (not in the default sections) one PDF of --ocr-pages pages, every third one of FEK_A_79's
       scans among FEK_A_5's born-digital pages, extracted once (safe backend), then its scanned
       pages OCR'd (page mode, Tesseract) into copies of that extraction: whole and in ranges of
       --ocr-unit, on 1 and 2 workers; makespans, work, the 1-to-2-worker ratio, and whether the
       markdown equals the whole 1-worker run's.
math   (not in the default sections) GeoTopo-komprimiert.pdf repeated to --math-pages pages,
       extracted once (safe backend), then Phase 2 (text-layer engine) the same way in ranges of
       --math-unit: the same figures, equal comparing the markdown and the latex_map (but for
       timings and workers).

--sleep-per-page S: instead of Docling, the tests' poison backend (the safe backend plus S seconds
of sleep a page): a device's time that costs no CPU, so the scheduling is measured apart from a
machine whose cores are all taken (each GPU worker waits on its own device the same way).
"""
from __future__ import annotations

import argparse
import json
import itertools
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import psutil  # noqa: E402

from glossapi_dagster.phases.extract import run_extraction  # noqa: E402
from glossapi_dagster.phases.math import respawn_cap, run_math  # noqa: E402
from glossapi_dagster.phases.ocr import run_ocr  # noqa: E402
from glossapi_dagster.pool import PoolConfig, RecyclePolicy, RespawnPolicy, resolve_devices  # noqa: E402
from glossapi_dagster.state import OutputLayout, ProgressStore  # noqa: E402
from glossapi_dagster.state.manifest import update_manifest  # noqa: E402
from glossapi_dagster_tests import long_pdf  # noqa: E402

CORPUS = HERE.parent / "glossapi_dagster_tests" / "corpus" / "pdfs"
OCR_TEXT, OCR_SCANS = CORPUS / "FEK_A_5_-_17.01.2018.pdf", CORPUS / "FEK_A_79_-_30.04.2018.pdf"
SCANNED = range(2, 38)  # FEK_A_79's pages that are images (under a running header's text layer)
MATH_SOURCES = ["GeoTopo-komprimiert.pdf"]
LONG_SOURCES = ["FEK_A_5_-_17.01.2018.pdf", "GeoTopo-komprimiert.pdf", "FEK_A_79_-_30.04.2018.pdf"]
SHORT_SOURCES = ["2305.03393v1-pg9.pdf", "amt_handbook_sample.pdf", "multicolumn.pdf", "code_and_formula.pdf"]


def build_pdf(names: list[str], pages: int, dst: Path) -> Path:
    return long_pdf.build_pdf(CORPUS, names, pages, dst)


def ocr_pdf(pages: int, dst: Path) -> Path:
    """Every third page one of FEK_A_79's scans, the others FEK_A_5's born-digital pages, each in turn."""
    text, scans = itertools.cycle(range(1, 261)), itertools.cycle(SCANNED)
    return long_pdf.compose_pdf([(OCR_SCANS, next(scans)) if p % 3 == 2 else (OCR_TEXT, next(text))
                                 for p in range(pages)], dst)


def short_docs(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = SHORT_SOURCES[i % len(SHORT_SOURCES)]
        shutil.copyfile(CORPUS / name, folder / f"short{i:04d}_{name}")


BACKEND = "docling"


def pool_config(out: Path, workers: int, **kw) -> PoolConfig:
    return PoolConfig(devices=resolve_devices(devices=list(range(workers))), threads=1, log_dir=out / "logs",
                      item_timeout=3600, summary_interval=3600, **kw)


def figures(report, workers: int, unit: int | None, wall: float) -> dict:
    """A pool run's makespan and work (a long document's: the sum of its ranges' seconds), and its failures."""
    statuses = [o.status for o in report.outcomes]
    work = sum(o.seconds for o in report.outcomes)
    result = {"workers": workers, "unit": unit, "docs": len(statuses), "ok": statuses.count("success"),
              "makespan_s": round(report.elapsed, 2), "wall_s": round(wall, 2), "work_s": round(work, 2),
              "recycles": sum(report.recycles.values())}
    failed = [f"{o.item}: {o.error}" for o in report.outcomes if o.status != "success"]
    if failed:
        result["failed"] = failed[:5]
    return result


def run(input_dir: Path, out: Path, workers: int, unit: int | None, recycle: RecyclePolicy | None = None,
        sample_rss: bool = False, backend: str | None = None) -> dict:
    layout = OutputLayout(out)
    store = ProgressStore(layout.store_dir)
    update_manifest(store, input_dir, "pdf", 100000)
    rows = store.read(["stem", "path", "size"]).to_dict("records")
    cfg = pool_config(out, workers, recycle=recycle or RecyclePolicy())
    samples: list[float] = []
    stop = threading.Event()

    def sampler():
        me = psutil.Process()
        while not stop.is_set():
            rss = [p.memory_info().rss for p in me.children(recursive=True)
                   if "worker_main" in " ".join(_cmdline(p))]
            if rss:
                samples.append(max(rss) / 2**20)
            time.sleep(0.2)

    thread = threading.Thread(target=sampler, daemon=True)
    if sample_rss:
        thread.start()
    started = time.perf_counter()
    report = run_extraction(out, rows, cfg, pipeline="native", phase1_backend=backend or BACKEND, accel_type="cpu",
                            benchmark_mode=True, max_pages_per_unit=unit)
    wall = time.perf_counter() - started
    stop.set()
    result = figures(report, workers, unit, wall)
    if sample_rss and samples:
        result.update(rss_peak_mb=round(max(samples)), rss_final_mb=round(samples[-1]),
                      docs_per_s=round(result["docs"] / report.elapsed, 3))
    return result


def extracted_once(input_dir: Path, base: Path) -> dict:
    """Phase 1 of input_dir into base with the safe backend, whole documents: what every OCR or
    math configuration starts from (a copy of it)."""
    result = run(input_dir, base, 1, None, backend="safe")
    print(json.dumps({"extracted": result}), flush=True)
    if result["ok"] != result["docs"]:
        raise RuntimeError(f"the extraction the runs start from failed: {result}")
    return result


def later_phase(name: str, base: Path, root: Path, unit: int, phase, outputs, counted: str) -> list[dict]:
    """phase(out, rows, config, unit) into a fresh copy of base for each configuration: whole and
    in ranges of `unit`, on 1 and 2 workers. equal: outputs(out) is the whole 1-worker run's (and
    changed: not the extraction's, so equal says something); counted: the sum of that result
    field (pages OCR'd, formulas found); ratio_1_to_2: the 1-worker makespan over the 2-worker one."""
    extracted = outputs(base)
    results, reference = [], None
    for u in (None, unit):
        for workers in (1, 2):
            out = root / f"{name}_{u}_{workers}"
            shutil.copytree(base, out)
            rows = ProgressStore(OutputLayout(out).store_dir).read(["stem", "path"]).to_dict("records")
            started = time.perf_counter()
            report = phase(out, rows, pool_config(out, workers), u)
            r = figures(report, workers, u, time.perf_counter() - started)
            r[counted] = sum(int((o.result or {}).get(counted) or 0) for o in report.outcomes)
            got = outputs(out)
            reference = got if reference is None else reference
            r.update(equal=got == reference, changed=got != extracted)
            if workers == 2:
                r["ratio_1_to_2"] = round(results[-1]["makespan_s"] / r["makespan_s"], 2)
            results.append(r)
            print(json.dumps({name: r}), flush=True)
    return results


def ocr_pages(out: Path, rows: list[dict], cfg: PoolConfig, unit: int | None):
    return run_ocr(out, rows, cfg, accel_type="cpu", ocr_engine="tesseract", benchmark_mode=True,
                   max_pages_per_unit=unit)


def math_pages(out: Path, rows: list[dict], cfg: PoolConfig, unit: int | None):
    cfg.respawn = RespawnPolicy(max_retries=respawn_cap())  # as the asset sets it
    return run_math(out, rows, cfg, accel_type="cpu", math_engine="textlayer", max_pages_per_unit=unit)


def stems(out: Path) -> list[str]:
    return sorted(ProgressStore(OutputLayout(out).store_dir).read(["stem"])["stem"])


def markdowns(out: Path) -> dict:
    layout = OutputLayout(out)
    return {stem: layout.markdown(stem).read_text(encoding="utf-8") for stem in stems(out)}


def math_outputs(out: Path) -> tuple[dict, dict]:
    """The markdown and the latex_map entries, but for what differs between runs of the same work."""
    def entries(path: Path) -> list[dict] | None:
        if not path.exists():
            return None
        return [{k: v for k, v in json.loads(line).items() if k not in ("time_ms", "worker")}
                for line in path.read_text(encoding="utf-8").splitlines()]

    return markdowns(out), {stem: entries(OutputLayout(out).latex_map(stem)) for stem in stems(out)}


def _spin(n: int) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i % 7
    return time.perf_counter() - started


def _convert_range(pdf: str, last: int) -> float:
    from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor

    extractor = DoclingExtractor("native", 1, "cpu", None, None)
    extractor.convert(pdf, page_range=(1, 10))  # the converter's set-up, not timed
    started = time.perf_counter()
    extractor.convert(pdf, page_range=(1, last))
    return time.perf_counter() - started


def ceiling(pdf: Path, pages: int) -> dict:
    """Seconds of the same work alone and two at once (each in its own process, one thread)."""
    from concurrent.futures import ProcessPoolExecutor

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # one thread each, as the pool's workers
        os.environ[var] = "1"
    out = {}
    for name, fn, arg in (("python_loop", _spin, 30_000_000), ("docling_range", _convert_range, None)):
        args = (arg,) if arg is not None else (str(pdf), pages)
        with ProcessPoolExecutor(1) as ex:
            alone = ex.submit(fn, *args).result()
        with ProcessPoolExecutor(2) as ex:
            both = [f.result() for f in [ex.submit(fn, *args) for _ in range(2)]]
        together = max(both)
        out[name] = {"alone_s": round(alone, 2), "two_at_once_s": [round(b, 2) for b in both],
                     "best_2_worker_speedup": round(2 * alone / together, 2)}
    return out


def _cmdline(p) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--unit", type=int, default=100)
    ap.add_argument("--short", type=int, default=50)
    ap.add_argument("--rss-docs", type=int, default=300)
    ap.add_argument("--recycle-items", type=int, default=50)
    ap.add_argument("--sections", default="long,mixed,rss,unit")
    ap.add_argument("--sleep-per-page", type=float, default=None)
    ap.add_argument("--ocr-pages", type=int, default=120)
    ap.add_argument("--ocr-unit", type=int, default=20)
    ap.add_argument("--math-pages", type=int, default=468)
    ap.add_argument("--math-unit", type=int, default=50)
    args = ap.parse_args()
    if args.sleep_per_page:
        global BACKEND
        from glossapi_dagster_tests import poison_backend

        poison_backend.register()
        os.environ["GLOSSAPI_TEST_PAGE_DELAY"] = str(args.sleep_per_page)  # the workers inherit it
        BACKEND = poison_backend.NAME
    sections = args.sections.split(",")
    results: dict = {"load_before": psutil.getloadavg(), "cores": psutil.cpu_count(), "backend": BACKEND}
    with tempfile.TemporaryDirectory(prefix="bench-ranges-") as tmp:
        root = Path(tmp)
        long_in = root / "long_in"
        if {"long", "mixed", "ceiling"} & set(sections):
            build_pdf(LONG_SOURCES, args.pages, long_in / "long.pdf")
        if "long" in sections:
            results["long"] = []
            for unit in (args.unit, None):
                for workers in (1, 2):
                    r = run(long_in, root / f"long_{unit}_{workers}", workers, unit)
                    results["long"].append(r)
                    print(json.dumps(r), flush=True)
        if "mixed" in sections:
            mixed_in = root / "mixed_in"
            shutil.copytree(long_in, mixed_in)
            short_docs(mixed_in, args.short)
            r = run(mixed_in, root / "mixed", 2, args.unit)
            r["ideal_s"] = round(r["work_s"] / 2, 2)
            r["over_ideal"] = round(r["makespan_s"] / r["ideal_s"] - 1, 3)
            results["mixed"] = r
            print(json.dumps(r), flush=True)
        if "rss" in sections:
            rss_in = root / "rss_in"
            short_docs(rss_in, args.rss_docs)
            results["rss"] = []
            for policy in (RecyclePolicy(), RecyclePolicy(max_items=args.recycle_items)):
                r = run(rss_in, root / f"rss_{policy.max_items}", 1, args.unit, policy, sample_rss=True)
                r["max_items_per_worker"] = policy.max_items
                results["rss"].append(r)
                print(json.dumps(r), flush=True)
        if "unit" in sections:
            unit_in = root / "unit_in"
            build_pdf(LONG_SOURCES, max(args.pages // 10, 50), unit_in / "part.pdf")
            results["unit"] = []
            for unit in (None, 50, 25, 10):
                r = run(unit_in, root / f"unit_{unit}", 1, unit)
                results["unit"].append(r)
                print(json.dumps(r), flush=True)
        if "ceiling" in sections:
            results["ceiling"] = ceiling(long_in / "long.pdf", min(args.unit, args.pages))
            print(json.dumps(results["ceiling"]), flush=True)
        if "ocr" in sections:
            ocr_pdf(args.ocr_pages, root / "ocr_in" / "scanned.pdf")
            results["ocr_extract"] = extracted_once(root / "ocr_in", root / "ocr_base")
            flagged = ProgressStore(OutputLayout(root / "ocr_base").store_dir).read(["needs_ocr"])["needs_ocr"]
            if not flagged.fillna(False).all():
                raise RuntimeError("triage did not flag the scanned PDF needs_ocr: nothing to OCR")
            results["ocr"] = later_phase("ocr", root / "ocr_base", root, args.ocr_unit, ocr_pages, markdowns,
                                         "ocr_pages")
        if "math" in sections:
            build_pdf(MATH_SOURCES, args.math_pages, root / "math_in" / "formulas.pdf")
            results["math_extract"] = extracted_once(root / "math_in", root / "math_base")
            results["math"] = later_phase("math", root / "math_base", root, args.math_unit, math_pages, math_outputs,
                                          "formula_total")
    results["load_after"] = psutil.getloadavg()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
