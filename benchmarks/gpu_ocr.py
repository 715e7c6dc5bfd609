"""OCR throughput, CPU vs GPU: the scanned samples OCR'd with RapidOCR on onnxruntime's CPU provider,
then on its CUDA provider (cuda:0), pages/s side by side (issue 4).

    .venv/bin/python benchmarks/gpu_ocr.py                 # every page of the scanned samples
    .venv/bin/python benchmarks/gpu_ocr.py --pages 3       # the first 3 pages of each (a quick look)
    .venv/bin/python benchmarks/gpu_ocr.py --json out.json

The recogniser is the bundled one, or GlossAPI's Greek PP-OCRv5 folder named by
GLOSSAPI_RAPIDOCR_ONNX_DIR (the languages its dictionary covers are printed). Pages are rendered
with pypdfium2 and read with the engine's own `read` (no Docling, no docling-core), so the script
runs on a GPU machine that has only onnxruntime-gpu, rapidocr and pypdfium2 (torch optional).

Prints the GPU preflight's findings first. Where onnxruntime's CUDA provider cannot be brought up,
the CPU figures are still printed and the script says why (exit status 2). The same pages go
through both providers after one warm-up page each; the share of paragraphs whose text is the same
on both is printed as a check that the GPU reads what the CPU reads.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from glossapi_dagster.backends.ocr.rapidocr import OcrExtractor  # noqa: E402
from glossapi_dagster.backends.preflight import problems, probe_gpus  # noqa: E402

SCANNED = ["test_ocr.pdf", "FEK_A_79_-_30.04.2018.pdf", "MAS029-LECTURE1-7.9.2020_nc.pdf", "ocr_test.pdf"]


def corpus_dir() -> Path:
    return Path(os.environ.get("GLOSSAPI_TEST_CORPUS", REPO.parent / "shared" / "corpus")) / "pdfs"


def convert(extractor, pdf: Path, pages: int | None) -> tuple[int, float, list[str], dict]:
    """Every page (or the first `pages`) rendered and read; (pages, seconds, line texts, timings)."""
    import pypdfium2 as pdfium

    from glossapi_dagster.backends.ocr.document import render_scale

    started = time.perf_counter()
    timings = {"render": 0.0, "ocr": 0.0}
    doc = pdfium.PdfDocument(str(pdf))
    texts: list[str] = []
    try:
        count = min(len(doc), pages) if pages else len(doc)
        for index in range(count):
            t0 = time.perf_counter()
            page = doc[index]
            width, height = page.get_size()
            scale = render_scale(width, height, extractor.dpi, extractor.max_side_len)
            bitmap = page.render(scale=scale)
            page.close()
            t1 = time.perf_counter()
            texts += [line.text for line in extractor.read(bitmap, round(72 * scale))]
            timings["render"] += t1 - t0
            timings["ocr"] += time.perf_counter() - t1
    finally:
        doc.close()
    return count, time.perf_counter() - started, texts, {k: round(v, 3) for k, v in timings.items()}


def run(device: str, pdfs: list[Path], pages: int | None, threads: int, dpi: int, log) -> dict:
    started = time.perf_counter()
    extractor = OcrExtractor(threads=threads, device=device, log=log, dpi=dpi)
    load_s = time.perf_counter() - started
    if device.startswith("cuda") and "CUDAExecutionProvider" not in extractor.providers:
        return {"device": device, "providers": extractor.providers, "unavailable": True}
    convert(extractor, pdfs[0], 1)  # warm-up, one page: CUDA kernels, memory arenas
    total_pages, seconds, texts, per_doc = 0, 0.0, [], {}
    for pdf in pdfs:
        n, secs, lines, timings = convert(extractor, pdf, pages)
        total_pages += n
        seconds += secs
        texts.extend(lines)
        per_doc[pdf.name] = {"pages": n, "seconds": round(secs, 3), **timings}
    return {"device": device, "providers": extractor.providers, "load_s": round(load_s, 2), "pages": total_pages,
            "seconds": round(seconds, 2), "pages_per_s": round(total_pages / seconds, 3) if seconds else 0.0,
            "per_doc": per_doc, "texts": texts}


def gpu_name() -> str:
    try:
        import subprocess

        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20).stdout.strip()
        return out.splitlines()[0] if out else "no GPU (nvidia-smi found none)"
    except (OSError, subprocess.SubprocessError):
        return "no nvidia-smi"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pages", type=int, default=None, help="first N pages of each PDF (default: all)")
    p.add_argument("--threads", type=int, default=min(8, os.cpu_count() or 1), help="onnxruntime intra-op threads")
    p.add_argument("--dpi", type=int, default=200)
    p.add_argument("--only", choices=["cpu", "cuda"], default=None, help="run one provider only")
    p.add_argument("--json", type=Path, default=None, help="write the figures here too")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    log = logging.getLogger("gpu_ocr")
    pdfs = [corpus_dir() / name for name in SCANNED if (corpus_dir() / name).exists()]
    if not pdfs:
        print(f"no scanned samples under {corpus_dir()}; set GLOSSAPI_TEST_CORPUS", file=sys.stderr)
        return 1

    facts = probe_gpus()
    found = problems([0], facts)
    print(f"GPU: {gpu_name()}")
    print(f"preflight: onnxruntime {facts.ort_version} providers={facts.providers} cuda_session={facts.ort_cuda_session}"
          f" | torch {facts.torch_version} cuda={facts.torch_cuda} devices={facts.torch_device_count}")
    print("preflight: " + ("ok" if not found else "; ".join(found)))
    from glossapi_dagster.backends.ocr.engines import rapidocr_languages

    models, covered = rapidocr_languages()
    print(f"recogniser: {models.rec} ({models.source}); covers "
          + ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in covered.items()))
    print(f"pages: {'all' if args.pages is None else f'first {args.pages}'} of {', '.join(p.name for p in pdfs)}; "
          f"dpi={args.dpi} threads={args.threads}\n")

    results = {}
    for device in (["cpu", "cuda:0"] if args.only is None else ["cpu" if args.only == "cpu" else "cuda:0"]):
        results[device] = run(device, pdfs, args.pages, args.threads, args.dpi, log)

    print("| provider | model load (s) | pages | seconds | pages/s |")
    print("|---|---:|---:|---:|---:|")
    for device, r in results.items():
        if r.get("unavailable"):
            print(f"| {device} | - | - | - | onnxruntime's CUDA provider could not be brought here "
                  f"(session providers {r['providers']}) |")
            continue
        print(f"| {r['providers'][0]} | {r['load_s']} | {r['pages']} | {r['seconds']} | {r['pages_per_s']} |")
    cpu, gpu = results.get("cpu"), results.get("cuda:0")
    status = 0
    if cpu and gpu and not gpu.get("unavailable"):
        same = sum(1 for a, b in zip(cpu["texts"], gpu["texts"]) if a == b)
        print(f"\nGPU / CPU: {gpu['pages_per_s'] / cpu['pages_per_s']:.1f}x pages/s; paragraphs identical: "
              f"{same}/{max(len(cpu['texts']), len(gpu['texts']))}")
    elif gpu and gpu.get("unavailable"):
        status = 2
    for r in results.values():
        r.pop("texts", None)
    print("\nper document:", json.dumps({d: r.get("per_doc") for d, r in results.items()}, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"gpu": gpu_name(), "preflight": found, "results": results}, indent=1))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
