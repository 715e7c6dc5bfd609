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
`eng` Latin is lost. So, with the languages asked for as the universe (grc joins ell, as the
figures say it should; `ocr_langs` without ell reads as asked):
- the document's first page is read with all of them (ell+grc+eng: best or within 0.012 on every
  kind of page);
- each next page with what the page before it turned out to be: Greek with no Latin to speak of
  (LATIN_SHARE of its letters) -> the Greek languages alone (ell+grc); Latin with no Greek ->
  the languages asked for (ell+eng: a Greek running header still reads); else all of them;
- a page read with fewer than all whose words are mostly no words (under RESCUE_VALID valid: the
  document turned to English, or to Greek with English names: 0.15 and 0.66 read with ell+grc,
  against 0.80-0.91 for Greek pages) is read again with all of them, and the better reading stays;
  where that is no better (a polytonic text the modern lexicon half knows), the document's pages
  are all read with all of them from then on, not twice.
Per line, what the page's set got wrong is read again (its box alone):
- read with `eng`: a line where Latin capitals make words that are no words, English or Greek
  (`TIPOEAPIKO ΔΙΑΤΑΓΜΑ YI’`: the English model won a heading in Greek capitals), again with the
  Greek languages alone; the reading with more valid words stays;
- read without `eng`: a line with an address in Greek letters (`ννννν.οῖ.οΙ`: an address is Latin),
  again with all of them.
A page whose text has POLYTONIC_SHARE of its Greek letters polytonic keeps its marks. An engine
without languages (RapidOCR) reads as it is."""
from __future__ import annotations

import re

from ..greek.latin_words import greek_reading, latin_tokens
from ..greek.lexicon import greek_lexicon
from ..greek.lookalikes import greek_page
from ..greek.polytonic import is_polytonic
from .readability import valid_word

GRC, ELL, ENG = "grc", "ell", "eng"
MIN_GREEK_LETTERS = 50   # a page with fewer polytonic-or-not letters says too little to tell
MIN_LETTERS = 100        # ... and with fewer letters, too little to choose the next page's languages by
LATIN_SHARE = 0.03       # Latin letters / letters of a Greek page with no Latin to speak of (and the reverse)
STRAY_SHARE = 0.25       # a line with this share of Latin non-words in capitals is read again
RESCUE_VALID = 0.75      # a page read with fewer languages than all, with fewer valid words, is read again
RESCUE_GAIN = 0.1        # ... and the second reading stays when it has this much more
_GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
_LATIN = re.compile("[A-Za-z]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_GREEK_ADDRESS = re.compile("[\u0370-\u03ff\u1f00-\u1fff]+(?:[.@][\u0370-\u03ff\u1f00-\u1fff]+){2,}")


class PageLanguages:
    """The languages of one document's pages, read in page order (document.ocr_pdf)."""

    def __init__(self, engine, extra_langs: list[str] | None = None):
        self.engine, self.extra = engine, list(extra_langs or [])
        asked = engine.languages_for(self.extra)
        self.asked = asked.split("+")
        self.full = self.asked
        if ELL in self.asked and GRC not in self.asked and GRC in engine.languages_for([*self.extra, GRC]).split("+"):
            self.full = [*self.asked[:self.asked.index(ELL) + 1], GRC, *self.asked[self.asked.index(ELL) + 1:]]
        self.greek = [lang for lang in self.full if lang != ENG] if ELL in self.full else None
        self.next = self.full

    def read(self, bitmap, dpi: int) -> tuple[list, str, bool]:
        """(lines, the languages that read the page, whether it is polytonic)."""
        langs = self.next
        lines = self.engine.read_box(bitmap, dpi, None, "+".join(langs))
        if langs != self.full and (valid := _valid(lines)) < RESCUE_VALID:
            again = self.engine.read_box(bitmap, dpi, None, "+".join(self.full))
            if _valid(again) >= valid + RESCUE_GAIN:
                lines, langs = again, self.full
            else:  # the page is what it is: no narrower reading pays for a second one
                self.greek = self.asked = None
        if ENG in langs and self.greek and self.greek != langs:
            lines = self._again(bitmap, dpi, lines, _capital_strays, self.greek)
        elif ENG not in langs and ENG in self.full:
            lines = self._again(bitmap, dpi, lines, _greek_address, self.full)
        text = " ".join(line.text for line in lines)
        self.next = self._choose(text)
        return lines, "+".join(langs), is_polytonic(text, MIN_GREEK_LETTERS)

    def _choose(self, text: str) -> list[str]:
        greek, latin = len(_GREEK.findall(text)), len(_LATIN.findall(text))
        if greek + latin < MIN_LETTERS:
            return self.full
        if self.greek and latin <= LATIN_SHARE * (greek + latin):
            return self.greek
        if self.asked and greek <= LATIN_SHARE * (greek + latin):
            return self.asked
        return self.full

    def _again(self, bitmap, dpi: int, lines: list, wrong, langs: list[str]) -> list:
        if not greek_page(" ".join(line.text for line in lines)):
            return lines
        out = []
        for line in lines:
            if not wrong(line.text):
                out.append(line)
                continue
            again = self.engine.read_box(bitmap, dpi, (line.x0, line.y0, line.x1, line.y1), "+".join(langs))
            if wrong is _capital_strays:  # the reading with more valid words
                better = bool(again) and _valid(again) > _valid([line])
            else:  # an address is Latin
                better = bool(again) and not any(_greek_address(a.text) for a in again)
            out.extend(again if better else [line])
        return out


def _valid(lines) -> float:
    words = [w for line in lines for w in _WORD.findall(line.text)]
    lexicon = greek_lexicon()
    return sum(valid_word(w, lexicon) for w in words) / len(words) if words else 0.0


def _capital_strays(text: str) -> bool:
    """Latin capitals that spell no word, English or Greek, are STRAY_SHARE of the line's words."""
    lexicon = greek_lexicon()
    strays = [w for w in latin_tokens(text) if len(w) >= 2 and w.isupper()
              and not valid_word(w, lexicon) and (lexicon is None or not greek_reading(w, lexicon))]
    return bool(strays) and len(strays) >= STRAY_SHARE * len(_WORD.findall(text))


def _greek_address(text: str) -> bool:
    return _GREEK_ADDRESS.search(text) is not None
