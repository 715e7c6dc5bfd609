"""OCR engines side by side (issue 16): Tesseract (ell+eng; grc+ell for polytonic) and the
bundled RapidOCR on the same pages, one worker each (one thread), in one run; then the work
saved by page-level decisions on the hybrid gazette FEK_A_79 against OCR of the whole document.

    GLOSSAPI_TEST_CORPUS=../shared/corpus .venv/bin/python benchmarks/bench_ocr.py [--rounds 3] [--json out.json]
    ... benchmarks/bench_ocr.py --skip-hybrid       # engines only (the hybrid part OCRs ~94 pages)
    ... benchmarks/bench_ocr.py --settings          # Tesseract's settings: pages per core-second beside recall
    ... benchmarks/bench_ocr.py --settings --only "before (PIL image),now (gray bytes)" --rounds 3
    ... benchmarks/bench_ocr.py --settings --one-model --rounds 2   # issue 29: one model a page against issue 26's languages

--settings reads the same pages (the references below) with Tesseract under each setting of
SETTINGS, one process, settings alternating page by page; pages per core-second is pages / the
median process CPU seconds of `rounds` readings (Tesseract here is single-threaded: the wheel's
libtesseract has no OpenMP, so OMP_THREAD_LIMIT changes nothing), beside word recall per page.

Pages/s is pages / median seconds of `rounds` conversions of each document (the engines
alternate document by document, so both see the same machine load). Word recall is against
the corpus's references (groundtruth/), the polytonic page against the text it was rendered from.
"""
from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from glossapi_dagster.backends.ocr.engines import build_engine  # noqa: E402
from glossapi_dagster_tests.ocr_fixtures import POLYTONIC_TEXT, polytonic_pdf  # noqa: E402
from glossapi_dagster_tests.ocr_quality import greek_extended, recall  # noqa: E402

DOCS = [  # name, reference (groundtruth file, or None for the polytonic page), what it is
    ("FEK_A_10_-_24.01.2018", "FEK_A_10_-_24.01.2018.txt", "Greek gazette, 2 pages, two columns"),
    ("ocr_test", "ocr_test.md", "English scan, 1 page"),
    ("2305.03393v1-pg9", "2305.03393v1-pg9.md", "English paper page with a table"),
    ("amt_handbook_sample", "amt_handbook_sample.md", "English handbook page with figures"),
    ("polytonic", None, "polytonic Greek page (GFS Didot, rendered here)"),
]
HYBRID = "FEK_A_79_-_30.04.2018"


def corpus() -> Path:
    return Path(os.environ.get("GLOSSAPI_TEST_CORPUS", REPO.parent / "shared" / "corpus"))


def engines(log) -> dict:
    return {
        "tesseract": build_engine("tesseract", 1, "cpu", log, {}, "ell+eng"),
        "rapidocr": build_engine("rapidocr", 1, "cpu", log, {}),
    }


def bench_engines(rounds: int, log) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="bench_ocr_"))
    poly = polytonic_pdf(tmp / "polytonic.pdf")
    built = engines(log)
    rows = []
    for name, ref_file, what in DOCS:
        pdf = poly if ref_file is None else corpus() / "pdfs" / f"{name}.pdf"
        reference = "\n".join(POLYTONIC_TEXT) if ref_file is None else (corpus() / "groundtruth" / ref_file).read_text()
        for engine_name, engine in built.items():
            extra = ["grc"] if ref_file is None and engine_name == "tesseract" else None
            times, text, pages = [], "", 0
            for _ in range(rounds):
                conv = engine.convert(pdf, extra_langs=extra)
                times.append(conv.seconds)
                text, pages = conv.document.export_to_markdown(), conv.page_count
            median = statistics.median(times)
            row = {"doc": name, "what": what, "engine": engine_name + ("+grc" if extra else ""), "pages": pages,
                   "median_s": round(median, 3), "pages_per_s": round(pages / median, 3),
                   "recall": round(recall(reference, text), 3)}
            if ref_file is None:
                row["greek_extended"] = f"{greek_extended(text)}/{greek_extended(reference)}"
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    return rows


def _pil_image(api, bitmap, dpi: int) -> None:
    """How pages reached Tesseract before issue 29: tesserocr's SetImage of a PIL image (which it
    encodes to PNG for leptonica to decode), colour, Tesseract converting to gray."""
    api.SetImage(bitmap.to_pil())
    api.SetSourceResolution(int(dpi))


# name -> how Tesseract reads: image (how the page reaches it), variables, dpi, languages, render
SETTINGS = {
    "issue 26's languages (ell+grc first)": {"one_model": False},
    "now: one model a page": {},
    "before (PIL image)": {"image": _pil_image, "one_model": False},
    "gray bytes, issue 26's languages": {"one_model": False},
    "pdfium's gray render": {"render": {"grayscale": True}},
    "tessedit_do_invert=0": {"variables": {"tessedit_do_invert": "0"}},
    "one model, tessedit_do_invert=0": {"variables": {"tessedit_do_invert": "0"}},
    "one model, 150 dpi": {"dpi": 150},
    "150 dpi": {"dpi": 150},
    "250 dpi": {"dpi": 250},
    "psm 6 (one block)": {"variables": {"tessedit_pageseg_mode": "6"}},
    "local binarisation (thresholding_method=1)": {"variables": {"thresholding_method": "1"}},
    "Sauvola binarisation (thresholding_method=2)": {"variables": {"thresholding_method": "2"}},
    "ell alone": {"langs": "ell"},
    "eng alone": {"langs": "eng"},
}


BASE = "issue 26's languages (ell+grc first)"  # the ratio column's 1.00x


def bench_settings(rounds: int, log, only: list[str] | None) -> list[dict]:
    import tesserocr
    import pypdfium2 as pdfium

    from glossapi_dagster.backends.ocr import tesseract
    from glossapi_dagster.backends.ocr.document import ocr_pdf
    from glossapi_dagster.backends.ocr.tesseract import TesseractEngine

    tmp = Path(tempfile.mkdtemp(prefix="bench_ocr_"))
    poly = polytonic_pdf(tmp / "polytonic.pdf")
    chosen = {k: v for k, v in SETTINGS.items() if not only or k in only}
    engines = {}
    for name, setting in chosen.items():
        engine = TesseractEngine(setting.get("langs", "ell+eng"), threads=1, log=log)
        make = engine._api

        def _api(langs, make=make, variables=setting.get("variables", {})):
            api = make(langs)
            for key, value in variables.items():
                assert api.SetVariable(key, value), key
            return api

        engine._api = _api
        engines[name] = engine
    from glossapi_dagster.backends.ocr import document
    from glossapi_dagster.backends.ocr.page_langs import PageLanguages

    real_set_image, real_render = tesseract.set_image, pdfium.PdfPage.render
    rows = []
    for doc, ref_file, what in DOCS:
        pdf = poly if ref_file is None else corpus() / "pdfs" / f"{doc}.pdf"
        reference = "\n".join(POLYTONIC_TEXT) if ref_file is None else (corpus() / "groundtruth" / ref_file).read_text()
        extra = ["grc"] if ref_file is None else None
        cpu = {name: [] for name in chosen}
        text = {}
        for _ in range(rounds):
            for name, setting in chosen.items():
                tesseract.set_image = setting.get("image", real_set_image)
                document.PageLanguages = functools.partial(PageLanguages, one_model=setting.get("one_model", True))
                render = setting.get("render")
                pdfium.PdfPage.render = (lambda page, render=render, **kw: real_render(page, **{**kw, **render})
                                         ) if render else real_render
                try:
                    started = time.process_time()
                    conv = ocr_pdf(engines[name], pdf, dpi=setting.get("dpi", 200), max_side_len=4000,
                                   extra_langs=extra)
                    cpu[name].append(time.process_time() - started)
                finally:
                    tesseract.set_image, pdfium.PdfPage.render = real_set_image, real_render
                    document.PageLanguages = PageLanguages
                text[name], pages = conv.document.export_to_markdown(), conv.page_count
        for name in chosen:
            row = {"setting": name, "doc": doc, "pages": pages, "cpu_s": round(statistics.median(cpu[name]), 3),
                   "pages_per_core_s": round(pages / statistics.median(cpu[name]), 3),
                   "recall": round(recall(reference, text[name]), 3)}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    print(f"\nTesseract {tesserocr.tesseract_version().split()[1]}, {rounds} round(s), median CPU; "
          f"load average {os.getloadavg()[0]:.1f}\n")
    docs = [d for d, _, _ in DOCS]
    print("| setting | pages per core-second (all pages) | vs before | " + " | ".join(f"{d} recall" for d in docs) + " |")
    print("|---|---:|---:|" + "---:|" * len(docs))
    totals = {name: sum(r["pages"] for r in rows if r["setting"] == name) /
              sum(r["cpu_s"] for r in rows if r["setting"] == name) for name in chosen}
    first = totals.get(BASE)
    for name in chosen:
        recalls = {r["doc"]: r["recall"] for r in rows if r["setting"] == name}
        ratio = f"{totals[name] / first:.2f}x" if first else "-"
        print(f"| {name} | {totals[name]:.3f} | {ratio} | " + " | ".join(f"{recalls[d]:.3f}" for d in docs) + " |")
    return rows


def bench_hybrid(log) -> dict:
    """Safe extraction + triage, then OCR of only the pages that need it, against all pages."""
    from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor
    from glossapi_dagster.backends.ocr.pages import merge_ocr_pages, pages_needing_ocr
    from glossapi_dagster.backends.quality.triage import triage

    pdf = corpus() / "pdfs" / f"{HYBRID}.pdf"
    tesseract = build_engine("tesseract", 1, "cpu", log, {}, "ell+eng")
    t0 = time.perf_counter()
    conv = SafePdfExtractor().convert(str(pdf))
    data = conv.to_dict()
    signals = triage(conv.markdown, data, True, pdf_path=str(pdf), page_covers=conv.page_covers)
    pages = pages_needing_ocr(data, signals, pdf_path=str(pdf))
    extract_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    ocr = tesseract.convert(pdf, pages=set(pages))
    merge_ocr_pages(data, ocr.document, "ocr:tesseract")
    page_level_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    whole = tesseract.convert(pdf)
    whole_s = time.perf_counter() - t2
    # what OCR of the whole document does to the pages whose text layer is good
    from glossapi_dagster.backends.ocr.pages import page_texts

    layer, ocr_all = page_texts(data), page_texts(whole.document.export_to_dict())
    kept = [p for p in layer if p not in pages]
    out_recall = recall("\n".join(layer[p] for p in kept), "\n".join(ocr_all.get(p, "") for p in kept))
    out = {"ocr_pages_list": sorted(pages), "text_layer_pages": len(kept),
           "whole_ocr_recall_on_text_layer_pages": round(out_recall, 3),"doc": HYBRID, "pages": conv.page_count, "extract_and_triage_s": round(extract_s, 2),
           "page_level_pages": len(pages), "page_level_s": round(page_level_s, 2),
           "whole_pages": whole.page_count, "whole_s": round(whole_s, 2),
           "pages_saved": whole.page_count - len(pages), "time_ratio": round(page_level_s / whole_s, 3),
           "reasons": sorted(set(pages.values()))}
    print(json.dumps(out), flush=True)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--skip-hybrid", action="store_true")
    p.add_argument("--only-hybrid", action="store_true")
    p.add_argument("--json", default=None)
    p.add_argument("--settings", action="store_true", help="Tesseract's settings only, side by side")
    p.add_argument("--only", default="", help="with --settings: these settings (comma-separated names)")
    p.add_argument("--one-model", action="store_true",
                   help="with --settings: issue 26's languages, one model a page, and it with 150 dpi and "
                        "tessedit_do_invert=0")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    log = logging.getLogger("bench_ocr")
    result = {"machine": f"{os.cpu_count()} CPUs (shared)", "rounds": args.rounds}
    if args.settings:
        only = [n for n in args.only.split(",") if n]
        if args.one_model:
            only = [BASE, "now: one model a page", "one model, tessedit_do_invert=0", "one model, 150 dpi"]
        result["settings"] = bench_settings(args.rounds, log, only)
    elif not args.only_hybrid:
        result["engines"] = bench_engines(args.rounds, log)
    if not args.skip_hybrid and not args.settings:
        result["hybrid"] = bench_hybrid(log)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
