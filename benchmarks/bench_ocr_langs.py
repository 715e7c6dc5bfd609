"""Tesseract's languages and the Greek repairs of OCR text (issue 26), on pages whose truth is known.

    .venv/bin/python benchmarks/bench_ocr_langs.py [--corpus DIR] [--dpi 200] [--json OUT]

Pages: image-only pages rendered from known text by glossapi_dagster_tests/greek_pdfs.py (Greek,
English, Greek with English names; a tight word space, as a justified column has), and the
corpus's born-digital gazette FEK_A_10 rendered to images at 300 dpi (its reference text). Each
page is OCR'd once per language set; its text is measured raw (the recogniser's own) and after the
repairs (backends/ocr/text_repairs.py, what the pipeline writes):

  recall    word recall against the truth (glossapi_dagster_tests/ocr_quality.py's measure)
  latin     words in Latin letters per 1,000 words, on Greek pages (none in the truth but the
            gazette's addresses, `www.et.gr`)
  poly      polytonic characters per 1,000 words (none in any truth here but the polytonic page's,
            whose recall counts its marks: a word without its breathing is another word)
  glued     words of the output that are two words of the truth run together, per 1,000 words
  ocr s     Tesseract's seconds for the page; repairs s: the repairs' seconds (share of OCR time)
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from glossapi_dagster.backends.ocr import document as ocr_document  # noqa: E402
from glossapi_dagster.backends.ocr.tesseract import TesseractEngine  # noqa: E402
from glossapi_dagster_tests.greek_pdfs import (ENGLISH_PARAGRAPHS, GREEK_PARAGRAPHS,  # noqa: E402
                                               MIXED_PARAGRAPHS, scan_pdf)
from glossapi_dagster_tests.ocr_fixtures import POLYTONIC_TEXT, image_pdf, polytonic_pdf  # noqa: E402
from glossapi_dagster_tests.ocr_quality import recall, words  # noqa: E402

# fixed sets, each for every page, and what the pipeline does with the default ell+eng: languages
# per page and per line (backends/ocr/page_langs.py)
LANGS = ("ell", "ell+eng", "ell+grc", "eng", "ell+grc+eng")
PER_PAGE = "per page (ell+eng asked)"


class Fixed:
    """An engine that reads every page with its own languages (no choice per page or line)."""

    def __init__(self, engine):
        self.name, self.read = engine.name, engine.read
FEK = "FEK_A_10_-_24.01.2018"


def glued(truth: str, text: str) -> int:
    """Output words that are two consecutive truth words joined."""
    tokens = re.findall(r"\w+", re.sub(r"(\w)[-\u00ad]\s+(\w)", r"\1\2", truth.lower()))
    pairs = {a + b for a, b in zip(tokens, tokens[1:])}
    return sum(1 for w in re.findall(r"\w+", text.lower()) if w in pairs)


def measure(truth: str, text: str, greek: bool) -> dict:
    polytonic = bool(re.search("[\u1f00-\u1fff]", truth))
    n = max(1, sum(words(text).values()))
    latin = len(re.findall(r"\b[A-Za-z]+\b", text)) if greek else 0
    return {"recall": round(recall(truth, text), 3), "latin": round(1000 * latin / n, 1),
            "poly": round(1000 * len(re.findall("[\u1f00-\u1fff]", text)) / n, 1) if not polytonic else None,
            "glued": round(1000 * glued(truth, text) / n, 1)}


def pages(tmp: Path, corpus: Path | None) -> list[tuple[str, Path, str, bool]]:
    out = []
    for name, paragraphs, greek in (("greek", GREEK_PARAGRAPHS, True), ("english", ENGLISH_PARAGRAPHS * 2, False),
                                    ("mixed", MIXED_PARAGRAPHS * 2, True)):
        out.append((name, scan_pdf(tmp / f"{name}.pdf", [paragraphs], word_space=0.7), "\n".join(paragraphs), greek))
    out.append(("polytonic", polytonic_pdf(tmp / "polytonic.pdf"), "\n".join(POLYTONIC_TEXT), True))
    document = [GREEK_PARAGRAPHS, GREEK_PARAGRAPHS[::-1], ENGLISH_PARAGRAPHS * 2, MIXED_PARAGRAPHS * 2, GREEK_PARAGRAPHS]
    out.append(("document: Greek, Greek, English, mixed, Greek (5 pages)",
                scan_pdf(tmp / "document.pdf", document, word_space=0.7),
                "\n".join(p for page in document for p in page), True))
    if corpus is not None and (corpus / "pdfs" / f"{FEK}.pdf").exists():
        scan = image_pdf(corpus / "pdfs" / f"{FEK}.pdf", [1, 2], tmp / "fek.pdf", dpi=300)
        out.append(("FEK_A_10 (2 pages)", scan, (corpus / "groundtruth" / f"{FEK}.txt").read_text(encoding="utf-8"),
                    True))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "glossapi_dagster_tests" / "corpus")
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    results = []
    real_repairs = ocr_document.repair_ocr_pages
    with tempfile.TemporaryDirectory() as tmp:
        for name, pdf, truth, greek in pages(Path(tmp), args.corpus):
            for langs in (*LANGS, PER_PAGE):
                engine = TesseractEngine("ell+eng") if langs == PER_PAGE else Fixed(TesseractEngine(langs))
                ocr_document.repair_ocr_pages = lambda p, polytonic=False, polytonic_pages=(): (p, {})
                raw = ocr_document.ocr_pdf(engine, pdf, dpi=args.dpi)
                ocr_document.repair_ocr_pages = real_repairs
                t0 = time.perf_counter()
                after = ocr_document.ocr_pdf(engine, pdf, dpi=args.dpi)
                row = {"page": name, "langs": langs, "ocr_s": round(after.timings["ocr"], 2),
                       "repairs_s": round(after.timings["repairs"], 4),
                       "raw": measure(truth, raw.document.export_to_markdown(), greek),
                       "after": measure(truth, after.document.export_to_markdown(), greek)}
                row["wall_s"] = round(time.perf_counter() - t0, 2)
                results.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
    print("\n| page | langs | recall raw | recall after | Latin/1k raw | after | polytonic/1k raw | after | "
          "glued/1k raw | after | OCR s | repairs s (share) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        a, b = r["raw"], r["after"]
        print(f"| {r['page']} | {r['langs']} | {a['recall']} | **{b['recall']}** | {a['latin']} | {b['latin']} | "
              f"{a['poly']} | {b['poly']} | {a['glued']} | {b['glued']} | {r['ocr_s']} | "
              f"{r['repairs_s']} ({100 * r['repairs_s'] / max(r['ocr_s'], 1e-9):.1f}%) |")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
