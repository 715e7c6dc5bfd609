"""Tesseract's languages chosen per page, from what the document's pages are, and per line.

Measured on pages of known text (benchmarks/bench_ocr_langs.py; BENCHMARKS.md, "Tesseract's
languages per page"), word recall after the Greek repairs:

    page            ell+eng   ell+grc   ell+grc+eng   OCR time (ell+eng = 1)
    Greek           0.933     0.982     0.970         ell+grc 1.14, ell+grc+eng 1.50
    English         0.975     0.0       0.975
    Greek+English   0.901     0.718     0.944
    gazette (FEK)   0.957     0.941     0.967         (its last page: addresses in Latin)

`grc` helps modern Greek too (its model knows the accented letters; the repairs fold the marks it
adds to a monotonic document), `eng` costs Greek pages short words read as Latin, and without
`eng` Latin is lost. Every page is decided by itself (a long document's page ranges then read as
the whole document does), with the languages asked for as the universe and grc joining ell:
- a page is first read with the Greek languages alone (ell+grc: best on Greek, 1.14x ell+eng's
  time); where Greek is not asked, with the languages asked;
- if its words are then mostly no words (under RESCUE_VALID valid: an English page read as Greek
  has 0.15, Greek with English names 0.66, Greek pages 0.80-0.91; a polytonic page, which the
  modern lexicon half knows, 0.59, so for it POLYTONIC_RESCUE_VALID) it is read again with all of
  them (ell+grc+eng: best or within 0.012 on every kind of page) and the better reading stays;
- per line, what the page's set got wrong is read again, its box alone: read without `eng`, a line
  whose words are mostly no words (an English reference, a name) or that holds an address read as
  Greek letters (`ννννν.οῖ.οΙ`: an address is Latin), with all of them (a page with more than
  MAX_LINES such lines is read again whole instead); read with `eng`, a line where Latin capitals
  spell nothing, English or Greek (`TIPOEAPIKO ΔΙΑΤΑΓΜΑ YI’`), with the Greek languages alone.
A page whose text has POLYTONIC_SHARE of its Greek letters polytonic keeps its marks. An engine
without languages (RapidOCR) reads as it is."""
from __future__ import annotations

import re

from ..greek.latin_words import greek_reading, latin_tokens
from ..greek.lexicon import greek_lexicon
from ..greek.lookalikes import greek_page
from ..greek.polytonic import is_polytonic
from .readability import valid_word
from ..greek.chars import GREEK, GREEK_CHAR

GRC, ELL, ENG = "grc", "ell", "eng"
MIN_GREEK_LETTERS = 50   # a page with fewer says too little to tell polytonic
STRAY_SHARE = 0.25       # a line with this share of Latin non-words in capitals is read again
RESCUE_VALID = 0.75      # a page read with fewer languages than all, with fewer valid words, is read again
POLYTONIC_RESCUE_VALID = 0.4
NOT_GREEK_VALID = 0.3    # under this, read as Greek, a page is no Greek at all
RESCUE_GAIN = 0.1        # ... and the second reading stays when it has this much more
LINE_VALID = 0.5         # a line read without eng, with fewer valid words, is read again
MIN_LINE_WORDS = 2
MAX_LINES = 6            # more such lines: the page is read again whole
_GREEK = GREEK_CHAR
_LATIN = re.compile("[A-Za-z]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_GREEK_ADDRESS = re.compile(f"[{GREEK}]+(?:[.@][{GREEK}]+){{2,}}")


class PageLanguages:
    """The languages of one document's pages; each page is decided by itself (document.ocr_pdf)."""

    def __init__(self, engine, extra_langs: list[str] | None = None):
        self.engine = engine
        extra = list(extra_langs or [])
        asked = engine.languages_for(extra).split("+")
        self.full = asked
        if ELL in asked and GRC not in asked and GRC in engine.languages_for([*extra, GRC]).split("+"):
            at = asked.index(ELL) + 1
            self.full = [*asked[:at], GRC, *asked[at:]]
        self.asked = asked
        greek = [lang for lang in self.full if lang != ENG]
        self.first = greek if ELL in self.full else asked

    def read(self, bitmap, dpi: int) -> tuple[list, str, bool]:
        """(lines, the languages that read the page, whether it is polytonic)."""
        langs = self.first
        lines = self._read(bitmap, dpi, None, langs)
        if langs != self.full:
            valid = _valid(lines)
            text = " ".join(line.text for line in lines)
            if valid < (POLYTONIC_RESCUE_VALID if is_polytonic(text, MIN_GREEK_LETTERS) else RESCUE_VALID):
                # no Greek at all (an English page: 0.15) is read as asked (ell+eng, 1x: as good
                # there as all three, 1.5x); Greek with other words in it with all of them
                wider = self.asked if valid < NOT_GREEK_VALID and ENG in self.asked else self.full
                again = self._read(bitmap, dpi, None, wider)
                if _valid(again) >= valid + RESCUE_GAIN:
                    lines, langs = again, wider
        if ENG not in langs and ENG in self.full:
            lines = self._lines_again(bitmap, dpi, lines, _unread_line, self.full)
        elif ENG in langs and ELL in langs and self.first != langs and GRC in self.first:
            lines = self._lines_again(bitmap, dpi, lines, _capital_strays, self.first)
        text = " ".join(line.text for line in lines)
        return lines, "+".join(langs), is_polytonic(text, MIN_GREEK_LETTERS)

    def _read(self, bitmap, dpi: int, box, langs: list[str]) -> list:
        return self.engine.read_box(bitmap, dpi, box, "+".join(langs))

    def _lines_again(self, bitmap, dpi: int, lines: list, wrong, langs: list[str]) -> list:
        if not greek_page(" ".join(line.text for line in lines)):
            return lines
        marked = [wrong(line.text) for line in lines]
        if sum(marked) > MAX_LINES:  # cheaper whole, and the layout is the page's
            again = self._read(bitmap, dpi, None, langs)
            return again if _valid(again) > _valid(lines) else lines
        out = []
        for line, bad in zip(lines, marked):
            if not bad:
                out.append(line)
                continue
            again = self._read(bitmap, dpi, (line.x0, line.y0, line.x1, line.y1), langs)
            better = bool(again) and (_valid(again) > _valid([line])
                                      or _greek_address(line.text) and not any(_greek_address(a.text) for a in again))
            out.extend(again if better else [line])
        return out


def _valid(lines) -> float:
    words = [w for line in lines for w in _WORD.findall(line.text)]
    lexicon = greek_lexicon()
    return sum(valid_word(w, lexicon) for w in words) / len(words) if words else 0.0


def _unread_line(text: str) -> bool:
    """A line read as Greek that is mostly no words, or an address in Greek letters."""
    if _greek_address(text):
        return True
    words = _WORD.findall(text)
    return len(words) >= MIN_LINE_WORDS and _valid_words(words) < LINE_VALID


def _valid_words(words: list[str]) -> float:
    lexicon = greek_lexicon()
    return sum(valid_word(w, lexicon) for w in words) / len(words)


def _capital_strays(text: str) -> bool:
    """Latin capitals that spell no word, English or Greek, are STRAY_SHARE of the line's words."""
    lexicon = greek_lexicon()
    strays = [w for w in latin_tokens(text) if len(w) >= 2 and w.isupper()
              and not valid_word(w, lexicon) and (lexicon is None or not greek_reading(w, lexicon))]
    return bool(strays) and len(strays) >= STRAY_SHARE * len(_WORD.findall(text))


def _greek_address(text: str) -> bool:
    return _GREEK_ADDRESS.search(text) is not None
