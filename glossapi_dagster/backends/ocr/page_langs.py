"""Tesseract's languages chosen per page from what the page is.

Measured on pages of known text (benchmarks/bench_ocr_langs.py, BENCHMARKS.md "Tesseract's
languages per page"): after the Greek repairs, `ell+eng` reads Greek, English and mixed pages at or
within 0.03 of the best set for each (a Greek page read with `ell` alone loses the Latin of its
addresses and names; an English page read without `eng` is lost), so it is every page's first
read. What it cannot write is polytonic Greek: a page whose first read has POLYTONIC_SHARE of its
Greek letters polytonic (a monotonic page misread has ~0.5%, a polytonic one ~23%) is read again
with `grc` added, and keeps its marks. A document whose text layer is polytonic asks for `grc`
from the first read (pages.extra_langs). An engine without languages (RapidOCR) reads as it is."""
from __future__ import annotations

from ..greek.polytonic import is_polytonic

GRC = "grc"
MIN_GREEK_LETTERS = 50  # a page with fewer says too little to tell


def read_page(engine, bitmap, dpi: int, extra_langs: list[str] | None = None) -> tuple[list, str | None, bool]:
    """(lines, the languages that read them or None, whether the page is polytonic)."""
    lines = engine.read(bitmap, dpi, extra_langs)
    languages_for = getattr(engine, "languages_for", None)
    if languages_for is None:
        return lines, None, False
    langs = languages_for(extra_langs)
    text = " ".join(line.text for line in lines)
    polytonic = is_polytonic(text, MIN_GREEK_LETTERS)
    if polytonic and GRC not in langs.split("+"):
        wider = [*(extra_langs or []), GRC]
        if GRC in languages_for(wider).split("+"):  # installed
            return engine.read(bitmap, dpi, wider), languages_for(wider), True
    return lines, langs, polytonic
