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
- one model a page (issue 29): Tesseract given several languages reads each line with each model
  (ell+grc is 1.7x ell's time on a gazette page, ell+eng 1.6x), so a page is read with ONE model,
  chosen before it is read: Tesseract lays the page out (the layout is kept for the read that
  follows) and SAMPLE_LINES of its body lines are read with eng alone (~40 ms a line): English comes
  out as English words, Greek as Latin letters that spell nothing. A page whose sample is mostly
  English words is read with eng, any other with ell (grc where asked: a polytonic text layer); a
  page that ell reads as polytonic is read again with grc (ell writes some of the marks, grc all);
- what the one model got wrong is read again, its line's box alone: on a Greek page, a line whose
  words are mostly no words (an English reference, a name) or that holds an address read as
  Greek letters (`ννννν.οῖ.οΙ`: an address is Latin), with all the languages; a line where ell
  read a figure as a letter (`άρθρου Ί`, `9Ότου`), with ell+grc as one line (grc's figures are
  right); on an English page, a line whose Latin words spell Greek ones (`Kal tou`) or are Greek
  capitals' Latin twins (`KYBEPNHEEOE`), with the Greek languages (a page with more than
  MAX_LINES such lines is read again whole);
- a page whose words are then mostly no words (under RESCUE_VALID valid: Greek with English names
  0.66, Greek pages 0.80-0.91; a polytonic page, which the modern lexicon half knows, 0.59, so for
  it POLYTONIC_RESCUE_VALID) is read again with all of them (ell+grc+eng: best or within 0.012 on
  every kind of page) and the better reading stays.
With one_model=False a page is first read with the Greek languages together (ell+grc, issue 26's
design, kept for benchmarks/bench_ocr.py's comparison) and checked as above.
A page whose text has POLYTONIC_SHARE of its Greek letters polytonic keeps its marks. An engine
without languages (RapidOCR) reads as it is."""
from __future__ import annotations

import re

from ..greek.latin_words import greek_reading, latin_tokens
from ..greek.lexicon import greek_lexicon
from ..greek.lookalikes import greek_page
from ..greek.polytonic import is_polytonic
from .readability import english_words, valid_word
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
SAMPLE_LINES = 3         # body lines read first to choose the page's one model
MIN_SAMPLE_WORDS = 4     # fewer words in the sample say nothing about its script
ENGLISH_SAMPLE = 0.75    # English lines read with eng: 0.93-1.0 of their words English (a table's codes
                         # and names are not in the word list); Greek lines 0.13-0.35 (short Latin
                         # lookalikes: `to`, `pe`), Greek with English names in it 0.58
_GREEK = GREEK_CHAR
_LATIN = re.compile("[A-Za-z]")
_WORD = re.compile(r"[^\W\d_]{2,}")
# a figure run into a word (`2του`, `και229`) or a figure and the letter ell writes for one (`Ί2`,
# `9Ό`); a lone `Ί` is put back by the figures repair (text_repairs.py) and a figure with one
# capital after it is a unit or a sign (`0,20Ε` for 0,20€), which a second reading writes the same
_DIGIT_MISREAD = re.compile(r"\d[^\W\d_]{2,}|[^\W\d_]{2,}\d|[ΊίΌό]\d|\d[ΊίΌό]")
# Greek capitals read with eng come out as their Latin twins (ΚΥΒΕΡΝΗΣΕΩΣ -> KYBEPNHEEOE); a
# table's codes (OTSL, mAP) have other letters
_GREEK_CAPITAL_TWINS = set("ABEHIKMNOPTXYZ")
_GREEK_ADDRESS = re.compile(f"[{GREEK}]+(?:[.@][{GREEK}]+){{2,}}")


class PageLanguages:
    """The languages of one document's pages; each page is decided by itself (document.ocr_pdf)."""

    def __init__(self, engine, extra_langs: list[str] | None = None, one_model: bool = True):
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
        # one model a page, chosen from a sample of its lines (when the set has more than one)
        self.one_model = one_model and len(self.full) > 1 and hasattr(engine, "layout")

    def read(self, bitmap, dpi: int) -> tuple[list, str, bool]:
        """(lines, the languages that read the page, whether it is polytonic)."""
        langs = self._one_model(bitmap, dpi) if self.one_model else self.first
        lines = self._read(bitmap, dpi, None, langs)
        if langs == [ENG] and ELL in self.full:
            return self._latin_page(bitmap, dpi, lines)
        if langs == [ELL] and GRC in self.full and is_polytonic(_text(lines), MIN_GREEK_LETTERS):
            # ell writes some of a polytonic page's marks (0.917 recall on the polytonic page);
            # grc, trained on polytonic text, all of them (0.952)
            langs = [GRC]
            lines = self._read(bitmap, dpi, None, langs)
        if langs == [ELL] and GRC in self.full:
            lines = self._lines_again(bitmap, dpi, lines, _digit_misread, [ELL, GRC], greek_only=False)
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

    def _one_model(self, bitmap, dpi: int) -> list[str]:
        """The one language that reads this page. Tesseract lays the page out (kept for the read
        that follows) and a few of its body lines are read first with eng alone: English comes out
        as English words, Greek as Latin letters that spell nothing (`Tic Siata€etc tou ap8pou`).
        Mostly English words -> eng; anything else -> ell (a Greek corpus's pages are mostly
        Greek; a page that is not is read again by the checks that follow)."""
        greek = self._greek()
        boxes = _sample_boxes(self.engine.layout(bitmap, dpi, greek))
        if ENG in self.full and boxes:
            words = [w for box in boxes for line in self.engine.read_box(bitmap, dpi, box, ENG, single_line=True)
                     for w in _WORD.findall(line.text)]
            if len(words) >= MIN_SAMPLE_WORDS and _english_share(words) >= ENGLISH_SAMPLE:
                return [ENG]
        return [greek]

    def _greek(self) -> str:
        """The Greek model: grc where asked (by the user, or by a polytonic text layer:
        pages.extra_langs), else ell."""
        return GRC if GRC in self.asked else ELL if ELL in self.full else self.first[0]

    def _latin_page(self, bitmap, dpi: int, lines: list) -> tuple[list, str, bool]:
        """A page read with eng alone: Greek in it (a running header, a Greek line) comes out as
        Latin letters that spell Greek words (`Kal tou`) or Greek capitals' Latin twins; such lines
        are read again with the Greek languages, and a page with more than MAX_LINES of them (the
        sample was wrong: Greek read as Latin) whole with all the languages. English words that the
        word list lacks (a table's codes, names) are not Greek and are kept as read."""
        marked = [_greek_in_latin(line.text) for line in lines]
        if sum(marked) > MAX_LINES:
            again = self._read(bitmap, dpi, None, self.full)
            if _valid(again) > _valid(lines):
                return self._finish(bitmap, dpi, again, self.full)
        elif any(marked):  # Greek that eng misread: read with the Greek languages alone
            lines = self._again(bitmap, dpi, lines, marked, self.first)
        return self._finish(bitmap, dpi, lines, [ENG])

    def _finish(self, bitmap, dpi: int, lines: list, langs: list[str]) -> tuple[list, str, bool]:
        text = " ".join(line.text for line in lines)
        return lines, "+".join(langs), is_polytonic(text, MIN_GREEK_LETTERS)

    def _read(self, bitmap, dpi: int, box, langs: list[str]) -> list:
        return self.engine.read_box(bitmap, dpi, box, "+".join(langs))

    def _lines_again(self, bitmap, dpi: int, lines: list, wrong, langs: list[str], greek_only: bool = True) -> list:
        if greek_only and not greek_page(" ".join(line.text for line in lines)):
            return lines
        marked = [wrong(line.text) for line in lines]
        if sum(marked) > MAX_LINES:  # cheaper whole, and the layout is the page's
            again = self._read(bitmap, dpi, None, langs)
            return again if _valid(again) > _valid(lines) else lines
        return self._again(bitmap, dpi, lines, marked, langs, single_line=self.one_model)

    def _again(self, bitmap, dpi: int, lines: list, marked: list[bool], langs: list[str],
               single_line: bool = False) -> list:
        """Each marked line read again, its box alone, with `langs`; the better reading stays."""
        out = []
        for line, bad in zip(lines, marked):
            if not bad:
                out.append(line)
                continue
            box = (line.x0, line.y0, line.x1, line.y1)
            if single_line:  # the box is one of Tesseract's lines: read as one line, no page layout
                again = self.engine.read_box(bitmap, dpi, box, "+".join(langs), single_line=True)
            else:
                again = self._read(bitmap, dpi, box, langs)
            better = bool(again) and (_valid(again) > _valid([line])
                                      or _greek_address(line.text) and not any(_greek_address(a.text) for a in again)
                                      or _misreads(again) < _misreads([line]))
            out.extend(again if better else [line])
        return out


def _sample_boxes(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """SAMPLE_LINES body lines spread down the page: of the lines of about the median height (not
    a heading, not a rule or a speck) at least the median width (not a page number, not a table
    cell), those at even steps in reading order."""
    if not boxes:
        return []
    heights = sorted(b[3] - b[1] for b in boxes)
    height = heights[len(heights) // 2]
    body = [b for b in boxes if 0.7 * height <= b[3] - b[1] <= 1.5 * height]
    widths = sorted(b[2] - b[0] for b in body)
    wide = [b for b in body if b[2] - b[0] >= widths[len(widths) // 2]] if widths else []
    if len(wide) <= SAMPLE_LINES:
        return wide
    return [wide[(2 * i + 1) * len(wide) // (2 * SAMPLE_LINES)] for i in range(SAMPLE_LINES)]


def _english_share(words: list[str]) -> float:
    english = english_words()
    if english is None:  # no word list: words of Latin letters with a vowel
        return sum(valid_word(w, None) for w in words) / len(words)
    return sum(w.lower() in english for w in words) / len(words)


def _greek_in_latin(text: str) -> bool:
    """A line read with eng alone where Greek was: its Latin words spell Greek words (`Kal tou`
    for `και του`, greek_reading) or are capitals that spell nothing, STRAY_SHARE of its words."""
    lexicon = greek_lexicon()
    words = _WORD.findall(text)
    if not words:
        return False
    strays = [w for w in latin_tokens(text) if len(w) >= 2 and not valid_word(w, lexicon)
              and ((w.isupper() and len(w) >= 4 and set(w) <= _GREEK_CAPITAL_TWINS)
                   or (lexicon is not None and greek_reading(w, lexicon)))]
    return len(strays) >= STRAY_SHARE * len(words)


def _digit_misread(text: str) -> bool:
    """ell reads a figure as a letter: 1 as `Ί` (`παρ.Ί2του`), 0 as `Ό` (`9Ότου`), and runs a
    figure into the next word (`2του`): such a line is read again with grc, whose figures are right."""
    return _DIGIT_MISREAD.search(text) is not None


def _misreads(lines) -> int:
    return sum(len(_DIGIT_MISREAD.findall(line.text)) for line in lines)


def _text(lines) -> str:
    return " ".join(line.text for line in lines)


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
