"""Phase-1 throughput against the alternatives, side by side in one run (issue 9, item 1).

    .venv/bin/python benchmarks/bench_phase1.py [--copies 2] [--workers 2] [--repeats 1] [--exclude a.pdf,b.pdf]
        [--contenders pdftotext,pypdfium2,loop1,loop2,engine,dagster]
    # issue 29's figures: safe against raw pypdfium2 and pdfium's floor, CPU ms a page beside wall time
    .venv/bin/python benchmarks/bench_phase1.py --copies 2 --repeats 3 --contenders pypdfium2,pdfium_floor,safe
    # the small-document section: 3,000 two-page gazettes (copies of FEK_A_10, each made unique)
    .venv/bin/python benchmarks/bench_phase1.py --small 3000 --repeats 3 --contenders pdfium_floor,safe
    # the same against another tree (a worktree of main), interleaved; safe@4: the pool's batch_size 4
    .venv/bin/python benchmarks/bench_phase1.py --small 3000 --repeats 3 --before ../main-tree \
        --contenders pdfium_floor,safe:before,safe,safe@4

The corpus is $GLOSSAPI_TEST_CORPUS/pdfs (default ../shared/corpus/pdfs; or --corpus) copied
--copies times under different names (c0_<name>, c1_<name>, ...) into a temp folder, so that worker
start-up is amortised; with --small N, N copies of one two-page document (--small-doc) instead,
each with its own bytes (a PDF comment after %%EOF), which is what a small document costs beyond
its pages. Every contender gets the same files in the same (sorted) order. Each contender runs in
its own fresh Python process (no warm imports, no shared caches), one after another:

  pdftotext  poppler-utils' pdftotext, one process per file (the floor; needs `pdftotext` on PATH)
  pypdfium2  pypdfium2 text extraction, one process, page by page (the floor)
  pypdfium2_pool  the same work over --workers processes (how far parallel pdfium goes here)
  pdfium_floor    pdfium's page, text page and text only, nothing written, --workers processes
             (what any pypdfium2-based backend must do: the ceiling for 'safe')
  loop1      a plain single-process loop over Docling's NativePdfPipeline (parser_threads=1,
             no page images: the options our workers use), writing <stem>.md and
             <stem>.docling.json.zst: what a user would write by hand
  loop2      the same loop with parser_threads=2 (the parser's own threads on both cores)
  engine     this project's engine called directly: update_manifest, then run_extraction on
             the pool, --workers CPU workers bound as GPU workers would be, 1 thread each
  safe       the engine with phase1_backend='safe' (markdown, Docling JSON, sidecars, metrics,
             triage, the store), the pool built without importing Dagster
  dagster    the same through Dagster: materialize_manifest, then materialize_extraction on a
             fresh SQLite instance (in-process executor), same pool settings

"end to end" is from the contender's first import of Docling (loop) or the call into the engine /
Dagster (pool) to the last file written: converter set-up and worker start-up included. CPU is
every process's (user + system: the contender's own process, its imports and the manifest
included, and its workers), and "CPU vs floor" divides it by pdfium_floor's in the same run; on a
shared machine CPU seconds say more than wall time, and ratios taken in one run more than either.
"steady" is pages finished after the first finished document divided by the time from the first
to the last finished document (start-up excluded). Peak RSS: VmHWM of each process, read from
/proc while it runs (workers) or at exit (the driver); pdftotext's from /usr/bin/time -f %M
(benchmarks/measure.py).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_CORPUS = Path(os.environ.get("GLOSSAPI_TEST_CORPUS", REPO.parent / "shared" / "corpus")) / "pdfs"
SMALL_DOC = "FEK_A_10_-_24.01.2018.pdf"  # a two-page Greek gazette
sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import ChildSampler, steady, vm_hwm_mb  # noqa: E402


# -- contenders (each runs in its own process) -------------------------------------------------
def run_pdftotext(files, out: Path, workers: int) -> dict:
    timer = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    ok, rss, finishes = 0, [], []
    t0 = time.perf_counter()
    for f in files:
        p = subprocess.run([*timer, "pdftotext", "-enc", "UTF-8", str(f), str(out / (f.stem + ".txt"))],
                           capture_output=True, text=True)
        if timer:
            last = p.stderr.strip().splitlines()[-1:] or ["0"]
            rss.append(int(last[0]) / 1024 if last[0].isdigit() else 0)
        if p.returncode == 0:
            ok += 1
            finishes.append((time.perf_counter(), PAGES.get(f.name, 0)))
    return {"e2e_s": time.perf_counter() - t0, "ok": ok, "finishes": finishes,
            "peak_rss_mb": {"pdftotext (max over files)": max(rss) if rss else None}}


def run_pypdfium2(files, out: Path, workers: int) -> dict:
    t0 = time.perf_counter()
    import pypdfium2 as pdfium

    ok, finishes = 0, []
    for f in files:
        try:
            pdf = pdfium.PdfDocument(str(f))
            texts = []
            for i in range(len(pdf)):
                page = pdf[i]
                tp = page.get_textpage()
                texts.append(tp.get_text_bounded())
                tp.close()
                page.close()
            n = len(pdf)
            pdf.close()
            (out / (f.stem + ".txt")).write_text("\n\f".join(texts), encoding="utf-8")
            ok += 1
            finishes.append((time.perf_counter(), n))
        except Exception:  # encrypted, corrupt, empty
            pass
    return {"e2e_s": time.perf_counter() - t0, "ok": ok, "finishes": finishes, "peak_rss_mb": {}}


def _pdfium_file(job: tuple[str, str, str]) -> tuple[float, int] | None:
    """One file in a pool process: 'text' is the pypdfium2 contender's work (its text written out),
    'floor' only what any pypdfium2 backend must do (page, text page, its text; nothing written)."""
    path, out, mode = job
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    try:  # as the pypdfium2 contender: a file with any error counts as not done
        pdf = pdfium.PdfDocument(path)
        n = len(pdf)
        if mode == "text":
            texts = []
            for i in range(n):
                page = pdf[i]
                tp = page.get_textpage()
                texts.append(tp.get_text_bounded())
                tp.close()
                page.close()
            (Path(out) / (Path(path).stem + ".txt")).write_text("\n\f".join(texts), encoding="utf-8")
        else:
            for i in range(n):
                page = raw.FPDF_LoadPage(pdf.raw, i)
                if not page:
                    return None
                tp = raw.FPDFText_LoadPage(page)
                count = raw.FPDFText_CountChars(tp)
                buffer = (ctypes.c_ushort * (2 * count + 1))()
                raw.FPDFText_GetText(tp, 0, count, buffer)
                raw.FPDFText_ClosePage(tp)
                raw.FPDF_ClosePage(page)
        pdf.close()
    except Exception:
        return None
    return time.time(), n


def _pdfium_pool(files, out: Path, workers: int, mode: str) -> dict:
    """The ceiling on this machine: `mode`'s work over `workers` processes fed from one queue,
    largest files first, as our pool is; process start-up included."""
    import multiprocessing

    t0 = time.perf_counter()
    wall0 = time.time()
    jobs = [(str(f), str(out), mode) for f in sorted(files, key=lambda f: f.stat().st_size, reverse=True)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        done = [r for r in pool.imap_unordered(_pdfium_file, jobs) if r is not None]
    return {"e2e_s": time.perf_counter() - t0, "ok": len(done), "peak_rss_mb": {},
            "finishes": [(w - wall0 + t0, n) for w, n in done]}


def _loop(files, out: Path, threads: int) -> dict:
    t0 = time.perf_counter()
    from docling.datamodel.base_models import ConversionStatus, InputFormat
    from docling.datamodel.pipeline_options import NativePdfPipelineOptions
    from docling.document_converter import DocumentConverter, PdfFormatOption
    from docling.pipeline.native_pdf_pipeline import NativePdfPipeline
    import zstandard

    opts = NativePdfPipelineOptions(parser_threads=threads, generate_page_images=False,
                                    generate_picture_images=False)
    conv = DocumentConverter(format_options={InputFormat.PDF: PdfFormatOption(
        pipeline_cls=NativePdfPipeline, pipeline_options=opts)})
    conv.initialize_pipeline(InputFormat.PDF)
    setup = time.perf_counter() - t0
    zc = zstandard.ZstdCompressor(level=3)
    ok, finishes = 0, []
    for f in files:
        try:
            res = conv.convert(f, raises_on_error=False)
            if res.status not in (ConversionStatus.SUCCESS, ConversionStatus.PARTIAL_SUCCESS):
                continue
            doc = res.document
            (out / (f.stem + ".md")).write_text(doc.export_to_markdown(), encoding="utf-8")
            (out / (f.stem + ".docling.json.zst")).write_bytes(
                zc.compress(json.dumps(doc.export_to_dict(), ensure_ascii=False).encode()))
            ok += 1
            finishes.append((time.perf_counter(), len(doc.pages)))
        except Exception:
            pass
    return {"e2e_s": time.perf_counter() - t0, "setup_s": setup, "ok": ok, "finishes": finishes,
            "peak_rss_mb": {}}


def run_loop1(files, out, workers):
    return _loop(files, out, 1)


def run_loop2(files, out, workers):
    return _loop(files, out, 2)


def _pool_resource(workers: int):
    from glossapi_dagster.defs.resources import GpuPoolResource

    return GpuPoolResource(devices=list(range(workers)), accel_type="cpu", num_threads=1,
                           summary_interval=30.0, item_timeout=1800.0)


def _pool_config(out: str, workers: int):
    """What _pool_resource(workers).pool_config(out, "extract") gives, built from the pool layer:
    the engine's contender is timed without importing Dagster (the resource's module does)."""
    from glossapi_dagster.pool import PoolConfig
    from glossapi_dagster.pool.devices import resolve_devices
    from glossapi_dagster.pool.worklog import worker_log_dir

    from glossapi_dagster.datamodel import PoolOptions

    # PoolOptions' defaults, as the resource passes them (those this tree's PoolConfig has: --before);
    # a contender's @N sets batch_size
    same = {name: getattr(PoolOptions(), name) for name in ("batch_size", "batch_pages", "max_attempts", "item_timeout")
            if name in PoolOptions.model_fields and name in PoolConfig.__dataclass_fields__}
    same.update({"batch_size": BATCH_SIZE} if BATCH_SIZE else {})
    return PoolConfig(devices=resolve_devices("single", list(range(workers))), threads=1,
                      log_dir=worker_log_dir(out, "extract"), summary_interval=30.0, **same)


def _sidecar_finishes(out: Path) -> list[tuple[float, int]]:
    """(wall clock of finish, pages) of every document the pool wrote, from the sidecars."""
    rows = []
    for p in (out / "sidecars" / "extract").glob("*.json"):
        s = json.loads(p.read_text())
        rows.append((s["finished_at"], s["page_count"]))
    return rows


def run_engine(files, out: Path, workers: int, phase1_backend: str = "docling", **options) -> dict:
    from glossapi_dagster.phases.extract import run_extraction
    from glossapi_dagster.state import OutputLayout, ProgressStore
    from glossapi_dagster.state.manifest import update_manifest

    layout = OutputLayout(out)
    store = ProgressStore(layout.store_dir)
    t = time.perf_counter()
    update_manifest(store, files[0].parent, "pdf", 1000)
    manifest_s = time.perf_counter() - t
    config = _pool_config(str(layout.root), workers)
    wall0 = time.time()
    t0 = time.perf_counter()
    todo = set(store.pending("extract_status"))
    rows = [r for r in store.read(["stem", "path", "shard"]).to_dict("records") if r["stem"] in todo]
    report = run_extraction(layout.root, rows, config, accel_type="cpu", phase1_backend=phase1_backend, **options)
    e2e = time.perf_counter() - t0
    return {"e2e_s": e2e, "manifest_s": manifest_s, "ok": report.counts()["success"],
            "finishes": [(w - wall0 + t0, p) for w, p in _sidecar_finishes(out)], "peak_rss_mb": {}}


def run_dagster(files, out: Path, workers: int) -> dict:
    t = time.perf_counter()
    home = out.parent / (out.name + "_dagster_home")
    home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    from dagster import DagsterInstance

    from glossapi_dagster.runs import materialize_extraction, materialize_manifest
    from glossapi_dagster.defs.resources import CorpusResource

    import_s = time.perf_counter() - t
    with DagsterInstance.get() as instance:
        resources = {"corpus": CorpusResource(input_dir=str(files[0].parent), output_dir=str(out)),
                     "gpu_pool": _pool_resource(workers)}
        t = time.perf_counter()
        assert materialize_manifest(instance, resources, shard_size=1000).success
        manifest_s = time.perf_counter() - t
        wall0 = time.time()
        t0 = time.perf_counter()
        result = materialize_extraction(instance, resources, phase1_backend="docling")
        e2e = time.perf_counter() - t0
        assert result is not None and result.success
    from glossapi_dagster.state import OutputLayout, ProgressStore

    df = ProgressStore(OutputLayout(out).store_dir).read(["extract_status"])
    return {"e2e_s": e2e, "manifest_s": manifest_s, "import_s": import_s,
            "ok": int((df["extract_status"] == "success").sum()),
            "finishes": [(w - wall0 + t0, p) for w, p in _sidecar_finishes(out)], "peak_rss_mb": {}}


CONTENDERS = {
    "pdftotext": ("pdftotext (poppler), 1 process per file", run_pdftotext),
    "pypdfium2": ("pypdfium2 text, 1 process", run_pypdfium2),
    "pypdfium2_pool": ("pypdfium2 text, {w} processes (the same work in parallel: this machine's ceiling for it)",
                       lambda files, out, workers: _pdfium_pool(files, out, workers, "text")),
    "pdfium_floor": ("pdfium page + text page + text only, nothing written, {w} processes",
                     lambda files, out, workers: _pdfium_pool(files, out, workers, "floor")),
    "loop1": ("plain loop, Docling NativePdfPipeline, 1 process, parser_threads=1", run_loop1),
    "loop2": ("plain loop, Docling NativePdfPipeline, 1 process, parser_threads=2", run_loop2),
    "engine": ("this project: engine (run_extraction), {w} workers", run_engine),
    "safe": ("this project: phase1_backend='safe', {w} workers (markdown, JSON, store)",
             lambda files, out, workers: run_engine(files, out, workers, phase1_backend="safe")),
    "dagster": ("this project: Dagster materialize_extraction, {w} workers", run_dagster),
}
PAGES: dict[str, int] = {}
BATCH_SIZE = 0  # a contender's `@N`: the pool's batch_size for the engine's contenders (0: its default)


def contender(spec: str) -> tuple[str, int, bool]:
    """'safe@4:before' -> ('safe', 4, True): the contender, the pool's batch_size (0: its default),
    and whether it runs on the code of --before instead of this tree."""
    name, before = (spec[:-len(":before")], True) if spec.endswith(":before") else (spec, False)
    name, _, batch = name.partition("@")
    return name, int(batch or 0), before


def child_main(spec: str, input_dir: Path, out: Path, workers: int, pages_json: str) -> None:
    global BATCH_SIZE
    name, BATCH_SIZE, _ = contender(spec)
    PAGES.update(json.loads(Path(pages_json).read_text()))
    files = sorted(input_dir.glob("*.pdf"))
    sampler = ChildSampler()
    sampler.start()
    res = CONTENDERS[name][1](files, out, workers)
    sampler.stop.set()
    sampler.join()
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    res["cpu_driver_s"] = me.ru_utime + me.ru_stime
    res["cpu_s"] = res["cpu_driver_s"] + kids.ru_utime + kids.ru_stime  # workers are waited: included
    res["peak_rss_mb"]["driver"] = vm_hwm_mb()
    if sampler.peaks and name in ("engine", "safe", "dagster"):
        res["peak_rss_mb"].update({f"worker pid {p}": v for p, v in sorted(sampler.peaks.items())})
    res["docs"] = len(files)
    engine = sys.modules.get("glossapi_dagster")
    if engine is not None:  # which tree's code ran (--before)
        res["tree"] = str(Path(engine.__file__).resolve().parents[1])
    print("RESULT " + json.dumps(res))


# -- the driver ----------------------------------------------------------------------------------
def page_map(files) -> dict[str, int]:
    import pypdfium2 as pdfium

    pages = {}
    for f in files:
        try:
            pdf = pdfium.PdfDocument(str(f))
            pages[f.name] = len(pdf)
            pdf.close()
        except Exception:
            pages[f.name] = 0
    return pages


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--exclude", default="", help="comma-separated file names of the corpus to leave out")
    ap.add_argument("--repeats", type=int, default=1, help="each contender this many times, interleaved")
    ap.add_argument("--contenders", default="pdftotext,pypdfium2,loop1,loop2,engine,dagster")
    ap.add_argument("--small", type=int, default=0, help="instead of the corpus: this many copies of --small-doc")
    ap.add_argument("--small-doc", default=SMALL_DOC, help="the small document (a file of the corpus)")
    ap.add_argument("--before", type=Path, help="another tree of this project (e.g. a worktree of main): a "
                    "contender named NAME:before runs on its code, interleaved with this tree's")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--pages", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        if args.before:  # this child imports the other tree's glossapi_dagster (its workers too: PYTHONPATH)
            sys.path.insert(0, str(args.before.resolve()))
        child_main(args.child, args.input, args.out, args.workers, args.pages)
        return

    names = args.contenders.split(",")
    for spec in names:
        base, _, before = contender(spec)
        if base not in CONTENDERS or (before and not args.before):
            sys.exit(f"unknown contender {spec!r} (NAME, NAME@BATCH_SIZE, NAME:before with --before DIR; "
                     f"names: {', '.join(CONTENDERS)})")
    if "pdftotext" in names and not shutil.which("pdftotext"):
        sys.exit("pdftotext not found: install poppler-utils (apt-get install poppler-utils) "
                 "or leave it out of --contenders")
    with tempfile.TemporaryDirectory(prefix="bench-phase1-") as tmp:
        tmp = Path(tmp)
        corpus = tmp / "in"
        corpus.mkdir()
        if args.small:
            copy_small(args.corpus / args.small_doc, corpus, args.small)
            what = f"{args.small} copies of {args.small_doc}"
        else:
            for k in range(args.copies):
                for pdf in sorted(args.corpus.glob("*.pdf")):
                    if pdf.name in args.exclude.split(","):
                        continue
                    shutil.copyfile(pdf, corpus / f"c{k}_{pdf.name}")
            what = f"{args.copies} copies of {args.corpus}"
        files = sorted(corpus.glob("*.pdf"))
        (tmp / "pages.json").write_text(json.dumps(page_map(files)))
        total_pages = sum(json.loads((tmp / "pages.json").read_text()).values())
        print(f"corpus: {len(files)} files ({what}), {total_pages} pages "
              f"by pdfium; cpu_count={os.cpu_count()}; load before: {os.getloadavg()}", file=sys.stderr)
        runs: dict[str, list[dict]] = {}
        for k, name in enumerate([n for _ in range(args.repeats) for n in names]):  # interleaved: A B C, A B C, ...
            out = tmp / f"out_{k}_{name}"
            out.mkdir()
            load0 = os.getloadavg()[0]
            p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", name, "--input", str(corpus), "--out", str(out),
                                "--workers", str(args.workers), "--pages", str(tmp / "pages.json"),
                                *(["--before", str(args.before)] if contender(name)[2] else [])],
                               # the workers (`python -m`) put the working folder first on sys.path
                               cwd=args.before if contender(name)[2] else REPO,
                               capture_output=True, text=True)
            line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
            if p.returncode or not line:
                print(f"{name} FAILED rc={p.returncode}\n{p.stderr[-3000:]}", file=sys.stderr)
                continue
            r = json.loads(line[0][7:])
            r["load1_before"], r["load1_after"] = load0, os.getloadavg()[0]
            r["pages"] = sum(pg for _, pg in r["finishes"])
            r["steady_pps"] = steady([tuple(x) for x in r["finishes"]])
            runs.setdefault(name, []).append(r)
            print(f"{name}: e2e {r['e2e_s']:.1f}s ok {r['ok']}/{r['docs']} pages {r['pages']} "
                  f"steady {r['steady_pps']} cpu {r['cpu_s']:.1f}s load {load0:.1f}->{r['load1_after']:.1f} "
                  f"rss {r['peak_rss_mb']} extra { {k: v for k, v in r.items() if k.endswith('_s')} }",
                  file=sys.stderr)
        report({name: median_run(rs) for name, rs in runs.items()}, args, len(files), what, runs)


def copy_small(source: Path, folder: Path, n: int) -> None:
    """n copies of a small PDF, each with its own bytes (a comment after %%EOF, which readers
    skip), so that no copy is taken for another (hashes, moved-file detection)."""
    data = source.read_bytes()
    for k in range(n):
        (folder / f"s{k:05d}_{source.name}").write_bytes(data + f"\n%copy {k:05d}\n".encode())


def median_run(rs: list[dict]) -> dict:
    """The run with the median end-to-end time (its other figures come with it); all kept in 'all_e2e_s'."""
    ordered = sorted(rs, key=lambda r: r["e2e_s"])
    med = dict(ordered[(len(ordered) - 1) // 2])
    med["all_e2e_s"] = [round(r["e2e_s"], 1) for r in rs]
    for key in ("steady_pps", "cpu_s", "cpu_driver_s"):
        vals = [r[key] for r in rs if r.get(key)]
        med[key] = statistics.median(vals) if vals else None
    return med


def report(results: dict, args, n_files: int, what: str, runs: dict) -> None:
    base = results.get("loop1")
    print(f"\n{n_files} files ({what}), cpu_count={os.cpu_count()}, {args.repeats} run(s) of each, interleaved; "
          f"the run with the median end-to-end time is shown (steady and CPU: medians)\n")
    for name, r in results.items():
        print(f"- {name}: end to end of every run {r['all_e2e_s']} s" + (f" (code: {r['tree']})" if r.get("tree") else ""))
    print("\n| contender | docs ok | pages | end to end (s) | pages/s e2e | docs/s e2e | pages/s steady "
          "| speed-up vs loop1, e2e | vs loop1, steady | CPU s (all processes; driver) | CPU ms/page | CPU ms/doc "
          "| peak RSS per process (MB) | load avg 1 min before→after |")
    print("|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|:---|")
    for name, r in results.items():
        kind, batch, before = contender(name)
        label = CONTENDERS[kind][0].format(w=args.workers) + (f", batch_size={batch}" if batch else "") + (
            f" [{args.before}]" if before else "")
        rss = ", ".join(f"{k}: {v:.0f}" for k, v in r["peak_rss_mb"].items() if v)
        sp = f"{base['e2e_s'] / r['e2e_s']:.2f}x" if base else "-"
        ss = (f"{r['steady_pps'] / base['steady_pps']:.2f}x" if base and r["steady_pps"] and base["steady_pps"]
              else "-")
        st = f"{r['steady_pps']:.1f}" if r["steady_pps"] else "-"
        print(f"| {label} | {r['ok']}/{r['docs']} | {r['pages']} | {r['e2e_s']:.1f} | {r['pages'] / r['e2e_s']:.1f} "
              f"| {r['docs'] / r['e2e_s']:.2f} | {st} | {sp} | {ss} | {r['cpu_s']:.1f}; {r.get('cpu_driver_s', 0):.1f} "
              f"| {1000 * r['cpu_s'] / max(1, r['pages']):.2f} | {1000 * r['cpu_s'] / max(1, r['ok']):.1f} | {rss} "
              f"| {r['load1_before']:.1f}→{r['load1_after']:.1f} |")
    if "engine" in results and "dagster" in results:
        e, d = results["engine"], results["dagster"]
        print(f"\nDagster vs engine: {d['e2e_s']:.1f} s vs {e['e2e_s']:.1f} s = "
              f"{100 * (d['e2e_s'] / e['e2e_s'] - 1):+.1f}% (goal: within 10%), medians; steady "
              f"{d['steady_pps'] or 0:.2f} vs {e['steady_pps'] or 0:.2f} pages/s; manifest: "
              f"{d['manifest_s']:.1f} s (materialize_manifest) vs {e['manifest_s']:.1f} s (update_manifest); "
              f"import of dagster + definitions {d.get('import_s', 0):.1f} s")
    # issue 8's yardstick (raw single-process pypdfium2) and pdfium's floor: each ratio taken within
    # one round of the interleaved runs, then the median over the rounds
    for yard, measure in (("pypdfium2", "e2e_s"), ("pdfium_floor", "e2e_s"), ("pdfium_floor", "cpu_s")):
        if yard not in runs:
            continue
        for name in runs:
            if name == yard:
                continue
            # CPU: times the yardstick's; end to end: the yardstick's time over this one's (a speed-up)
            xs = [b[measure] / a[measure] if measure == "cpu_s" else a[measure] / b[measure]
                  for a, b in zip(runs[yard], runs[name])]
            kind = "CPU, x its" if measure == "cpu_s" else "end to end, speed-up"
            print(f"{name} vs {yard}: {kind} {statistics.median(xs):.2f}x "
                  f"(median of {len(xs)} rounds: {', '.join(f'{x:.2f}' for x in xs)})")
    for name in ("loop1", "loop2"):
        if name in results:
            print(f"{name}: converter set-up (import docling + build) {results[name]['setup_s']:.1f} s")
    print("\nRAW " + json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "finishes"}
                                 for k, v in results.items()}))


if __name__ == "__main__":
    main()
