"""Tesseract's languages chosen per page from what the page is.

Measured on pages of known text (benchmarks/bench_ocr_langs.py, BENCHMARKS.md "Tesseract's
languages per page"): after the Greek repairs, `ell+eng` reads Greek, English and mixed pages at or
within 0.03 of the best set for each (a Greek page read with `ell` alone loses the Latin of its
addresses and names; an English page read without `eng` is lost), so it is every page's first
read. What it cannot write is polytonic Greek: a page whose first read has POLYTONIC_SHARE of its
Greek letters polytonic (a monotonic page misread has ~0.5%, a polytonic one ~23%) is read again
with `grc` added, and keeps its marks. A document whose text layer is polytonic asks for `grc`
from the first read (pages.extra_langs).

Per line: on a page that is mostly Greek, a line where Latin capitals make words that are no words,
English or Greek (`TIPOEAPIKO ΔΙΑΤΑΓΜΑ YI’ APIOM.`: the English model won part of a heading in
Greek capitals), is read again, its box alone, with the set's Greek languages only; the reading
with more valid words (readability.valid_word) stays. Latin in lower case that spells Greek words
(`tou`, `Kal`) the repairs make Greek without a second read (latin_words.py); addresses
(`www.et.gr`) and English words are no strays.
An engine without languages (RapidOCR) reads as it is."""
from __future__ import annotations

import re

from ..greek.latin_words import greek_reading, latin_tokens
from ..greek.lexicon import greek_lexicon
from ..greek.lookalikes import greek_page
from ..greek.polytonic import is_polytonic
from .readability import valid_word

GRC = "grc"
MIN_GREEK_LETTERS = 50  # a page with fewer says too little to tell
STRAY_SHARE = 0.25  # a line with this share of Latin non-words is read again
_GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
_LATIN = re.compile("[A-Za-z]")
_WORD = re.compile(r"[^\W\d_]{2,}")


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
    if hasattr(engine, "read_box") and greek_page(text):
        lines = _greek_lines_again(engine, bitmap, dpi, lines, langs)
    return lines, langs, polytonic


def _valid(lines) -> float:
    words = [w for line in lines for w in _WORD.findall(line.text)]
    lexicon = greek_lexicon()
    return sum(valid_word(w, lexicon) for w in words) / len(words) if words else 0.0


def _greek_lines_again(engine, bitmap, dpi: int, lines: list, langs: str) -> list:
    greek_only = "+".join(lang for lang in langs.split("+") if lang != "eng")
    if not greek_only or greek_only == langs:
        return lines
    out = []
    for line in lines:
        words = _WORD.findall(line.text)
        lexicon = greek_lexicon()
        strays = [w for w in latin_tokens(line.text) if len(w) >= 2 and w.isupper()
                  and not valid_word(w, lexicon) and (lexicon is None or not greek_reading(w, lexicon))]
        if not strays or len(strays) < STRAY_SHARE * len(words):
            out.append(line)
            continue
        valid = _valid([line])
        again = engine.read_box(bitmap, dpi, (line.x0, line.y0, line.x1, line.y1), greek_only)
        out.extend(again if again and _valid(again) > valid else [line])
    return out
