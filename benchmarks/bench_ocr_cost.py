"""Greek OCR before and after the repairs of issue 26: word recall, Latin tokens, polytonic
characters and glued words per 1,000 words, and pages/s, on the same pages, for whichever source
tree is first on PYTHONPATH (so one tree's figures beside another's, run one after the other):

    PYTHONPATH=OLD .venv/bin/python benchmarks/bench_ocr_cost.py --rounds 3
    PYTHONPATH=NEW .venv/bin/python benchmarks/bench_ocr_cost.py --rounds 3

Pages (Tesseract with the default ell+eng, 200 dpi, one thread): the corpus's born-digital gazette
FEK_A_10 rendered to images at 300 dpi (a born-digital gazette OCR'd as a scan, against its
reference text) and the generated Greek page of glossapi_dagster_tests/greek_pdfs.py (known text,
a tight word space). pages/s: pages / the median of --rounds conversions (ocr_pdf: render, OCR,
layout and, in a tree that has them, the repairs and the per-page re-reads)."""
from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FEK = "FEK_A_10_-_24.01.2018"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "glossapi_dagster_tests" / "corpus")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sys.path.append(str(ROOT / "glossapi_dagster_tests"))  # this tree's page makers; the code measured is PYTHONPATH's
    import glossapi_dagster
    from glossapi_dagster.backends.ocr.document import ocr_pdf
    from glossapi_dagster.backends.ocr.tesseract import TesseractEngine
    from greek_pdfs import GREEK_PARAGRAPHS, scan_pdf
    from ocr_fixtures import image_pdf
    from ocr_quality import recall, words

    engine = TesseractEngine("ell+eng")
    print(f"tree: {Path(glossapi_dagster.__file__).parents[1]}")
    with tempfile.TemporaryDirectory() as tmp:
        pages = [("FEK_A_10 as a scan (2 pages)", image_pdf(args.corpus / "pdfs" / f"{FEK}.pdf", [1, 2],
                                                             Path(tmp) / "fek.pdf", dpi=300),
                  (args.corpus / "groundtruth" / f"{FEK}.txt").read_text(encoding="utf-8"), 2),
                 ("generated Greek page", scan_pdf(Path(tmp) / "greek.pdf", [GREEK_PARAGRAPHS], word_space=0.7),
                  "\n".join(GREEK_PARAGRAPHS), 1)]
        rows = []
        for name, pdf, truth, count in pages:
            seconds, text = [], ""
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                text = ocr_pdf(engine, pdf, dpi=200).document.export_to_markdown()
                seconds.append(time.perf_counter() - t0)
            n = max(1, sum(words(text).values()))
            truth_words = re.findall(r"\w+", re.sub(r"(\w)[-\u00ad]\s+(\w)", r"\1\2", truth.lower()))
            pairs = {a + b for a, b in zip(truth_words, truth_words[1:])}
            rows.append({"page": name, "pages_per_s": round(count / statistics.median(seconds), 3),
                         "recall": round(recall(truth, text), 3),
                         "latin_per_1k": round(1000 * len(re.findall(r"\b[A-Za-z]+\b", text)) / n, 1),
                         "polytonic_per_1k": round(1000 * len(re.findall("[\u1f00-\u1fff]", text)) / n, 1),
                         "glued_per_1k": round(1000 * sum(w in pairs for w in re.findall(r"\w+", text.lower())) / n, 1),
                         "seconds": [round(s, 2) for s in seconds]})
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
