"""Phase-2 text-layer backend: the formulas of a born-digital PDF rebuilt as LaTeX from its glyphs.

TeX typesets math in math fonts (CMMI, CMSY, CMEX, MSAM, MSBM and their Type 1 / OpenType
cousins); word processors use Cambria Math, STIX, Symbol. Every glyph comes from pdfium with
its character, font, size, baseline and box:

1. glyphs are classed: *strong* (a math font, a Unicode math symbol, a Greek letter in a TeX
   font), *weak* (digits, operators, upright letters of fonts math borrows: they join a formula,
   never start one), *text*, or *broken* (a math glyph whose font has no usable Unicode map).
   A glyph pdfium cannot map but whose font is a TeX math font is read through that font's
   built-in encoding (CMEX's 'X' is ∑).
2. glyphs become rows (baseline bands, scripts with their bases), rows become segments (split at
   column-sized gaps); mathy stretches of a segment are runs.
3. a segment that is mostly math is part of a display formula: such segments stacked together
   (numerators, denominators, limits) form one block, with its equation number as its tag.
   Runs in text segments are inline formulas.
4. each formula's glyphs and the rules drawn among them (fraction bars, radicals) go through
   the 2D layout (math_layout) to LaTeX.

A formula with a broken glyph is reported as such (broken_tounicode), never decoded: guessing
would emit nonsense like 'xptq' for x(t).

Built once per worker; pypdfium2 only (docling-parse's char cells carry no baseline or size,
and garble the glyphs of fonts without a ToUnicode map where pdfium flags them).
"""
from __future__ import annotations

import bisect
import ctypes
import logging
import os
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from .layout import AXIS, Atom, Rule, layout
from .symbols import (
    ACCENTS, ADOBE_PUA, BIG_OPERATORS, BRACE_PIECES, BINARY, FUNCTIONS, LIMIT_FUNCTIONS, NOT_ALONE, RELATIONS, STANDARD_FUNCTIONS,
    base_font, char_latex, decode_tex_glyph, font_family, font_style, is_broken_char, is_greek, is_italic_font,
    is_math_font, is_math_symbol, is_math_text_font, math_alphanumeric, misread_symbol,
)

STRONG, SYMBOL, WEAK, TEXT, BROKEN = "strong", "symbol", "weak", "text", "broken"
_WEAK_CHARS = set("0123456789+-=()[]{}|/<>,.;:!'*^_~∣′″…·") | set("−")
_TAG = re.compile(r"^\(([0-9]+(?:\.[0-9]+)*[a-z]?|[A-Z]?[0-9]*\*?|[ivx]+)\)$")
SEGMENT_GAP = 1.0     # ems: a wider horizontal gap ends a segment (columns, equation numbers)
RUN_GAP = 1.2         # ems: a wider gap ends a run of math inside a segment
DISPLAY_SHARE = 0.6   # share of a segment's glyphs in math runs for it to be display math


@dataclass(slots=True)
class Glyph:
    ch: str
    font: str
    size: float
    x0: float
    y0: float
    x1: float
    y1: float
    base: float
    index: int
    broken: bool = False
    kind: str = TEXT
    raw: str = ""             # what pdfium read, before any repair (a markdown made by pdfium holds this)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass
class Formula:
    page_no: int
    bbox: tuple[float, float, float, float]    # left, bottom, right, top (PDF points, origin bottom-left)
    display: bool
    latex: str | None
    source_text: str                            # the text layer's characters, in content order
    broken: bool = False                        # math glyphs without a usable Unicode mapping
    tag: str | None = None                      # the equation number, e.g. "3"
    seconds: float = 0.0
    glyphs: list = field(default_factory=list, repr=False)


@dataclass
class PageScan:
    page_no: int
    width: float
    height: float
    glyphs: list[Glyph]
    rules: list[Rule]
    formulas: list[Formula] = field(default_factory=list)


@dataclass
class DocScan:
    pages: list[PageScan]
    body_font: str | None
    seconds: float = 0.0

    @property
    def formulas(self) -> list[Formula]:
        return [f for p in self.pages for f in p.formulas]

    def page(self, page_no: int) -> PageScan | None:
        return next((p for p in self.pages if p.page_no == page_no), None)


class TextLayerMath:
    """Finds formulas in a PDF's text layer and rebuilds their LaTeX. No model, no GPU."""

    name = "textlayer"

    def __init__(self, log: logging.Logger | None = None, max_pages: int | None = None):
        import pypdfium2  # noqa: F401 - fail at worker start, not on the first document

        self.log = log or logging.getLogger(__name__)
        self.max_pages = max_pages

    # -- public -------------------------------------------------------------------------------
    def scan(self, path: str | os.PathLike, must_read: set[int] = frozenset()) -> DocScan:
        """Every page whose fonts or characters could hold math is read glyph by glyph (the other
        pages cost one look at their fonts and text); `must_read` pages always are."""
        import pypdfium2 as pdfium

        started = time.perf_counter()
        pdf = pdfium.PdfDocument(os.fspath(path))
        try:
            pages = []
            count = len(pdf) if self.max_pages is None else min(len(pdf), self.max_pages)
            for index in range(count):
                page = pdf[index]
                try:
                    width, height = page.get_size()
                    textpage = page.get_textpage()
                    try:
                        read = index + 1 in must_read or _may_hold_math(page, textpage)
                        glyphs = _glyphs(textpage) if read else []
                    finally:
                        textpage.close()
                    rules = _rules(page) if glyphs else []
                finally:
                    page.close()
                pages.append(PageScan(index + 1, width, height, glyphs, rules))
        finally:
            pdf.close()
        body = _classify([g for p in pages for g in sorted(p.glyphs, key=lambda g: g.index)])
        body_family = font_family(body) if body else ""
        for page in pages:
            page.formulas = _find_formulas(page, body_family)
        return DocScan(pages, body, time.perf_counter() - started)

    def decode_region(self, scan: DocScan, page_no: int, bbox: tuple[float, float, float, float],
                      display: bool = True) -> Formula:
        """The formula inside a box (a Docling formula item): its glyphs through the same layout."""
        started = time.perf_counter()
        page = scan.page(page_no)
        l, b, r, t = bbox
        glyphs = [] if page is None else [g for g in page.glyphs
                                          if l - 1 <= g.cx <= r + 1 and b - 1 <= (g.y0 + g.y1) / 2 <= t + 1]
        rules = [] if page is None else [u for u in page.rules if u.x0 >= l - 2 and u.x1 <= r + 2 and b - 2 <= u.y <= t + 2]
        body_family = font_family(scan.body_font) if scan.body_font else ""
        formula = _formula(page_no, glyphs, rules, display, body_family)
        formula.seconds = time.perf_counter() - started
        return formula


# -- glyphs from pdfium ---------------------------------------------------------------------------
def _may_hold_math(page, textpage) -> bool:
    """A quick look: a math font among the page's text objects, or a character that only math
    (or a broken font) produces."""
    import pypdfium2.raw as raw

    fonts = set()
    for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_TEXT,), max_depth=2):
        try:
            fonts.add(base_font(obj.get_font().get_base_name()))
        except Exception:
            return True  # a font pdfium cannot name: look closer
    if any(is_math_font(f) for f in fonts):
        return True
    text = textpage.get_text_range()
    greek_in_tex = any(is_math_text_font(f) for f in fonts)
    return any(is_math_symbol(c) and not is_greek(c) or (greek_in_tex and is_greek(c)) or (is_broken_char(c) and c not in "\r\n\t")
               or math_alphanumeric(c) is not None for c in set(text))


def _glyphs(textpage) -> list[Glyph]:
    import pypdfium2.raw as raw

    tp = textpage.raw
    buf = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    l, r, b, t = (ctypes.c_double() for _ in range(4))
    ox, oy = ctypes.c_double(), ctypes.c_double()
    out = []
    for i in range(raw.FPDFText_CountChars(tp)):
        if raw.FPDFText_IsGenerated(tp, i) == 1:
            continue
        code = raw.FPDFText_GetUnicode(tp, i)
        unmapped = raw.FPDFText_HasUnicodeMapError(tp, i)
        if not unmapped and (code in (0xFFFE, 0x02, 0xAD) or chr(code).isspace()):
            continue
        if code in ADOBE_PUA and not ADOBE_PUA[code]:
            continue
        angle = raw.FPDFText_GetCharAngle(tp, i)
        if angle > 0.05 and abs(angle - 6.2832) > 0.05:
            continue  # rotated text (a margin stamp) is not a formula
        raw.FPDFText_GetFontInfo(tp, i, buf, 256, ctypes.byref(flags))
        font = base_font(buf.value.decode("utf-8", "replace"))
        size = float(raw.FPDFText_GetFontSize(tp, i)) or 1.0
        raw.FPDFText_GetCharOrigin(tp, i, ctypes.byref(ox), ctypes.byref(oy))
        raw.FPDFText_GetCharBox(tp, i, ctypes.byref(l), ctypes.byref(r), ctypes.byref(b), ctypes.byref(t))
        ch, broken = ADOBE_PUA.get(code) or chr(code), False
        if unmapped:
            mapped = decode_tex_glyph(font, code)
            ch, broken = (mapped, False) if mapped else (ch, True)
        elif is_broken_char(ch):
            broken = True
        else:
            ch = misread_symbol(font, ch) or ch
        x0, x1, y0, y1 = l.value, r.value, b.value, t.value
        if x1 - x0 <= 0.01 and y1 - y0 <= 0.01:  # no outline (an empty glyph): a nominal box
            x0, x1, y0, y1 = ox.value, ox.value + 0.5 * size, oy.value, oy.value + 0.7 * size
        base = oy.value
        if font.upper().startswith("CMEX"):  # extension glyphs hang from their origin: use the axis
            base = (y0 + y1) / 2 - AXIS * size
        out.append(Glyph(ch, font, size, x0, y0, x1, y1, base, i, broken, TEXT, chr(code)))
    return out


def _rules(page) -> list[Rule]:
    """Thin horizontal paths: fraction bars, radical vincula, overlines."""
    import pypdfium2.raw as raw

    rules = []
    for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_PATH,), max_depth=2):
        try:
            x0, y0, x1, y1 = obj.get_bounds()
        except Exception:
            continue
        if 0 <= y1 - y0 <= 1.5 and x1 - x0 >= 2.0:
            rules.append(Rule(x0, y0, x1, y1))
    return rules


# -- classing ---------------------------------------------------------------------------------------
def _classify(glyphs: list[Glyph]) -> str | None:
    """Class every glyph; returns the body font (the one with the most characters)."""
    if not glyphs:
        return None
    fonts = Counter(g.font for g in glyphs if not g.broken)
    body = fonts.most_common(1)[0][0] if fonts else None
    body_family = font_family(body) if body else ""
    textlike_broken = _textlike_broken_fonts(glyphs)
    for g in glyphs:
        g.kind = _kind(g, body_family, textlike_broken)
    return body


def _textlike_broken_fonts(glyphs: list[Glyph]) -> set[str]:
    """Fonts whose unmapped glyphs come in word-long runs: garbled *text* (e.g. legacy Greek
    fonts), a matter for OCR, not math. Math fonts' unmapped glyphs come one or two at a time.
    `glyphs` are in page order, each page in content order."""
    runs, count = Counter(), Counter()
    prev = None
    for g in glyphs:
        if g.broken:
            count[g.font] += 1
            if not (prev is not None and prev.broken and prev.font == g.font and g.index == prev.index + 1):
                runs[g.font] += 1
        prev = g
    return {f for f in count if count[f] / max(1, runs[f]) >= 2.5}


def _kind(g: Glyph, body_family: str, textlike_broken: set[str]) -> str:
    ch = g.ch
    if g.broken:
        return TEXT if g.font in textlike_broken else BROKEN
    if is_math_font(g.font):
        return STRONG
    if is_greek(ch):
        return STRONG if is_math_text_font(g.font) else TEXT
    if math_alphanumeric(ch) is not None or is_math_symbol(ch):
        return SYMBOL
    if ch in _WEAK_CHARS or ch.isdigit() or ch in ACCENTS:
        return WEAK
    if ch.isalpha() and font_family(g.font) != body_family and is_math_text_font(g.font):
        return WEAK
    return TEXT


# -- rows, segments, runs ------------------------------------------------------------------------
def _band(g: Glyph) -> tuple[float, float]:
    return g.base - 0.25 * g.size, g.base + 0.75 * g.size


def _rows(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs sharing a baseline band (a superscript overlaps its base's band, a numerator not),
    near each other (two columns share baselines, not rows). Scripts that started rows of their
    own join their base's row afterwards."""
    rows: list[_Row] = []
    open_rows: list[_Row] = []
    for g in sorted(glyphs, key=lambda g: -g.base):
        lo, hi = _band(g)
        open_rows = [r for r in open_rows if r.lo <= hi + 2 * g.size]
        best, best_overlap = None, 0.0
        for row in open_rows:
            overlap = min(hi, row.hi) - max(lo, row.lo)
            if overlap >= 0.5 * min(hi - lo, row.hi - row.lo) and overlap > best_overlap and row.near(g):
                best, best_overlap = row, overlap
        if best is None:
            best = _Row(g)
            rows.append(best)
            open_rows.append(best)
        else:
            best.add(g)
    return [r.glyphs for r in _merge_rows(rows)]


def _merge_rows(rows: list[_Row]) -> list[_Row]:
    by_base = sorted(rows, key=lambda r: r.anchor.base)
    bases = [r.anchor.base for r in by_base]
    gone: set[int] = set()
    for r in sorted(rows, key=lambda r: r.anchor.size):
        size = r.anchor.size
        lo_i = bisect.bisect_left(bases, r.anchor.base - 1.5 * size - 2)
        hi_i = bisect.bisect_right(bases, r.anchor.base + 1.5 * size + 2)
        best, best_overlap = None, 0.0
        for t in by_base[lo_i:hi_i]:
            if t is r or id(t) in gone or t.anchor.size < size:
                continue
            overlap = min(r.hi, t.hi) - max(r.lo, t.lo)
            if overlap >= 0.5 * min(r.hi - r.lo, t.hi - t.lo) and overlap > best_overlap and t.near_row(r):
                best, best_overlap = t, overlap
        if best is not None:
            for g in r.glyphs:
                best.add(g)
            gone.add(id(r))
    return [r for r in rows if id(r) not in gone]


class _Row:
    __slots__ = ("anchor", "lo", "hi", "glyphs", "spans")

    def __init__(self, g: Glyph):
        self.anchor, self.glyphs, self.spans = g, [g], [[g.x0, g.x1]]
        self.lo, self.hi = _band(g)

    def near(self, g: Glyph) -> bool:
        reach = SEGMENT_GAP * g.size
        return any(g.x0 - x1 <= reach and x0 - g.x1 <= reach for x0, x1 in self.spans)

    def near_row(self, other: "_Row") -> bool:
        reach = SEGMENT_GAP * max(self.anchor.size, other.anchor.size)
        return any(a0 - b1 <= reach and b0 - a1 <= reach for a0, a1 in self.spans for b0, b1 in other.spans)

    def add(self, g: Glyph) -> None:
        self.glyphs.append(g)
        if g.size > self.anchor.size * 1.05:
            self.anchor = g
            self.lo, self.hi = _band(g)
        reach = SEGMENT_GAP * g.size
        for span in self.spans:
            if g.x0 - span[1] <= reach and span[0] - g.x1 <= reach:
                span[0], span[1] = min(span[0], g.x0), max(span[1], g.x1)
                return
        self.spans.append([g.x0, g.x1])


def _segments(row: list[Glyph]) -> list[list[Glyph]]:
    seq = sorted(row, key=lambda g: g.x0)
    segments = [[seq[0]]]
    for g in seq[1:]:
        prev = segments[-1]
        right = max(p.x1 for p in prev[-3:])
        if g.x0 - right > SEGMENT_GAP * max(g.size, prev[-1].size):
            segments.append([g])
        else:
            prev.append(g)
    return segments


def _word_at(seq: list[Glyph], i: int) -> tuple[str, int]:
    """The letters of the word that starts at seq[i] (same font, no gap), and where it ends."""
    j = i
    while j + 1 < len(seq) and seq[j + 1].ch.isalpha() and seq[j + 1].font == seq[i].font \
            and seq[j + 1].x0 - seq[j].x1 < 0.15 * seq[i].size and abs(seq[j + 1].base - seq[i].base) < 0.2 * seq[i].size:
        j += 1
    return "".join(g.ch for g in seq[i:j + 1]), j + 1


def _runs(seg: list[Glyph]) -> list[list[Glyph]]:
    """Stretches of math in a segment (x order) that hold at least one glyph that makes them math."""
    seq = sorted(seg, key=lambda g: g.x0)
    mathy = [g.kind != TEXT for g in seq]
    i = 0
    while i < len(seq):  # function names in the body font (sin, exp, min ...) count as math here
        if seq[i].kind == TEXT and seq[i].ch.isalpha():
            word, end = _word_at(seq, i)
            if word in FUNCTIONS:
                for k in range(i, end):
                    mathy[k] = True
            i = end
        else:
            i += 1
    runs, cur = [], []
    for k, g in enumerate(seq):
        if mathy[k] and (not cur or g.x0 - max(c.x1 for c in cur[-3:]) <= RUN_GAP * g.size):
            cur.append(g)
            continue
        if cur:
            runs.append(cur)
        cur = [g] if mathy[k] else []
    if cur:
        runs.append(cur)
    return [r for r in (_trim(r) for r in runs) if _is_formula(r)]


def _trim(run: list[Glyph]) -> list[Glyph]:
    while run and run[0].ch in NOT_ALONE and run[0].ch not in "−-":
        run = run[1:]  # a bullet that opens an item
    while run and run[-1].kind == WEAK and run[-1].ch in ",.;:!":
        run = run[:-1]
    while run and run[0].kind == WEAK and run[0].ch in ",.;:!)]":
        run = run[1:]
    if run and run[-1].ch in "([" and run[-1].kind == WEAK:
        run = run[:-1]
    if run and run[-1].ch in ")]":  # a closing bracket that closes nothing inside is the sentence's
        opens = sum(1 for g in run if g.ch in "([")
        closes = sum(1 for g in run if g.ch in ")]")
        if closes > opens:
            run = run[:-1]
    if run and run[0].ch in "([":
        opens = sum(1 for g in run if g.ch in "([")
        closes = sum(1 for g in run if g.ch in ")]")
        if opens > closes:
            run = run[1:]
    return run


def _is_formula(run: list[Glyph]) -> bool:
    if not run:
        return False
    kinds = Counter(g.kind for g in run)
    if kinds[BROKEN] and kinds[STRONG] + kinds[WEAK] + kinds[SYMBOL] == 0:
        return False  # nothing but unmapped glyphs: dingbat bullets, a garbled symbol font in text
    if kinds[STRONG] + kinds[BROKEN] == 0:
        if kinds[SYMBOL] == 0 or not any(g.ch.isalpha() for g in run):
            return False
    signs = [g for g in run if g.ch.strip()]
    if all(g.ch in NOT_ALONE for g in signs):
        return False  # a bullet, a footnote mark, an end-of-proof square
    if len(signs) == 1 and not (signs[0].ch.isalnum() or signs[0].broken):
        return False  # one lone symbol is punctuation more often than math
    return True


# -- formulas on a page ------------------------------------------------------------------------
@dataclass
class _Segment:
    glyphs: list[Glyph]
    runs: list[list[Glyph]]
    tag: str | None = None

    @property
    def box(self):
        return (min(g.x0 for g in self.glyphs), min(g.y0 for g in self.glyphs),
                max(g.x1 for g in self.glyphs), max(g.y1 for g in self.glyphs))

    @property
    def size(self) -> float:
        return max(g.size for g in self.glyphs)

    @property
    def base(self) -> float:
        big = self.size
        return statistics.median(g.base for g in self.glyphs if g.size >= 0.9 * big)

    @property
    def is_math(self) -> bool:
        if self.tag is not None:
            return False
        if not self.runs:  # a lone big operator or delimiter, set apart from the rest of its line
            return len(self.glyphs) <= 3 and all(g.kind != TEXT for g in self.glyphs) \
                and any(g.kind == STRONG and g.ch not in NOT_ALONE or g.ch in BIG_OPERATORS for g in self.glyphs)
        in_runs = sum(len(r) for r in self.runs)
        return in_runs >= DISPLAY_SHARE * len(self.glyphs)


def _find_formulas(page: PageScan, body_family: str) -> list[Formula]:
    if not any(g.kind in (STRONG, SYMBOL, BROKEN) for g in page.glyphs):
        return []
    segments: list[_Segment] = []
    for row in _rows(page.glyphs):
        segs = _segments(row)
        last = segs[-1]
        tail = _tag_tail(last)
        if tail and len(tail) < len(last):
            segs[-1] = [g for g in last if g not in tail]
            segs.append(tail)
        segs[0] = _strip_label(segs[0])
        for k, seg in enumerate(segs):
            if not seg:
                continue
            tag = _TAG.match(_text(seg)) if k == len(segs) - 1 else None
            segments.append(_Segment(seg, [] if tag else _runs(seg), tag.group(1) if tag else None))
    blocks = _blocks([s for s in segments if s.is_math], segments)
    formulas = []
    in_blocks = set()
    for block, tag in blocks:
        glyphs = [g for s in block for g in s.glyphs]
        in_blocks.update(id(s) for s in block)
        if sum(1 for g in glyphs if _meaningful(g)) < 2:
            for s in block:  # figure tick labels, a lone letter: not a display formula
                in_blocks.discard(id(s))
            continue
        l, b, r, t = _box(glyphs)
        rules = [u for u in page.rules if u.x0 >= l - 2 and u.x1 <= r + 2 and b - 1 <= u.y <= t + 1]
        f = _formula(page.page_no, glyphs, rules, True, body_family)
        f.tag = tag
        formulas.append(f)
    for seg in segments:
        if id(seg) in in_blocks:
            continue
        for run in seg.runs:
            formulas.append(_formula(page.page_no, run, [], False, body_family))
    formulas.sort(key=lambda f: (-f.bbox[3], f.bbox[0]))
    return formulas


_LABEL = re.compile(r"^(?:\(?[0-9]{1,3}[.)]|\([a-z]{1,4}\)|[a-z]\)|[•◦∗·–\-])$")


def _strip_label(seg: list[Glyph]) -> list[Glyph]:
    """A list bullet or an enumeration label ('(ii)', '5)') that opens a line is not math."""
    seq = sorted(seg, key=lambda g: g.x0)
    for n in range(1, min(6, len(seq))):
        head, rest = seq[:n], seq[n:]
        if rest[0].x0 - head[-1].x1 >= 0.25 * rest[0].size and _LABEL.match(_text(head)) \
                and not any(is_math_font(g.font) and g.ch.isalnum() for g in head):
            return rest
    return seg


def _meaningful(g: Glyph) -> bool:
    """Letters and signs that make a formula (figure tick labels are only digits and minus signs)."""
    return g.broken or g.ch.isalpha() or g.ch in RELATIONS or g.ch in BIG_OPERATORS or is_math_symbol(g.ch) \
        and g.ch not in BINARY


def _text(glyphs: list[Glyph]) -> str:
    return "".join(g.ch for g in sorted(glyphs, key=lambda g: g.x0))


def _tag_tail(seg: list[Glyph]) -> list[Glyph] | None:
    """An equation number '(12)' at the end of a segment, set apart from what precedes it."""
    seq = sorted(seg, key=lambda g: g.x0)
    if len(seq) < 3 or seq[-1].ch != ")" or is_math_font(seq[-1].font):
        return None
    for k in range(len(seq) - 2, max(-1, len(seq) - 9), -1):
        if seq[k].ch == "(":
            tail = seq[k:]
            if not _TAG.match(_text(tail)):
                return None
            if k == 0:
                return tail
            gap = seq[k].x0 - max(g.x1 for g in seq[:k])
            return tail if gap >= 0.25 * seq[k].size else None
    return None


def _blocks(math_segs: list[_Segment], all_segs: list[_Segment]) -> list[tuple[list[_Segment], str | None]]:
    """Math segments stacked or side by side (numerators, limits, the parts of one line) form
    one display formula; lone symbols and short words inside its band (a big ∑, \\text{if})
    and its number join it."""
    parent = list(range(len(math_segs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    boxes = [s.box for s in math_segs]
    for i in range(len(math_segs)):
        for j in range(i + 1, len(math_segs)):
            a, b = boxes[i], boxes[j]
            size = max(math_segs[i].size, math_segs[j].size)
            v_gap = max(a[1] - b[3], b[1] - a[3])
            h_gap = max(a[0] - b[2], b[0] - a[2])
            v_overlap = min(a[3], b[3]) - max(a[1], b[1])
            side_by_side = v_overlap >= 0.5 * min(a[3] - a[1], b[3] - b[1]) and h_gap <= 6 * size
            if (v_gap <= 0.9 * size and h_gap <= 1.0 * size) or side_by_side:
                parent[find(i)] = find(j)
    groups: dict[int, list[_Segment]] = {}
    for i, s in enumerate(math_segs):
        groups.setdefault(find(i), []).append(s)
    out = []
    taken = {id(s) for s in math_segs}
    for block in groups.values():
        tag = None
        grown = True
        while grown:
            grown = False
            l, b, r, t = _box([g for s in block for g in s.glyphs])
            size = max(s.size for s in block)
            for s in all_segs:
                if id(s) in taken:
                    continue
                sl, sb, sr, st = s.box
                mid = (sb + st) / 2
                if not (b - 0.2 * size <= mid <= t + 0.2 * size):
                    continue
                gap = max(sl - r, l - sr)
                if s.tag is not None:
                    if sl >= r and sl - r < 40 * size:
                        tag = tag or s.tag
                        taken.add(id(s))
                elif (len(s.glyphs) <= 3 and gap <= 1.5 * size) or \
                        (not s.runs and len(s.glyphs) <= 16 and gap <= 3 * size):
                    block.append(s)
                    taken.add(id(s))
                    grown = True
        out.append((block, tag))
    return out


def _box(glyphs: list) -> tuple[float, float, float, float]:
    return (min(g.x0 for g in glyphs), min(g.y0 for g in glyphs), max(g.x1 for g in glyphs), max(g.y1 for g in glyphs))


def _source_text(glyphs: list[Glyph]) -> str:
    out, prev = [], None
    for g in sorted(glyphs, key=lambda g: g.index):
        if prev is not None and g.index > prev + 1:
            out.append(" ")
        out.append(g.ch)
        prev = g.index
    return "".join(out)


def _formula(page_no: int, glyphs: list[Glyph], rules: list[Rule], display: bool, body_family: str) -> Formula:
    started = time.perf_counter()
    if not glyphs:
        return Formula(page_no, (0.0, 0.0, 0.0, 0.0), display, None, "", seconds=0.0)
    broken = any(g.kind == BROKEN or g.broken for g in glyphs)
    latex = None
    if not broken:
        latex = layout(_atoms(glyphs, body_family), rules) or None
    return Formula(page_no, _box(glyphs), display, latex, _source_text(glyphs), broken,
                   seconds=time.perf_counter() - started, glyphs=glyphs)


# -- glyphs to atoms ----------------------------------------------------------------------------
def _atoms(glyphs: list[Glyph], body_family: str) -> list[Atom]:
    """Numbers and upright words (function names, \\text) become one atom each, every other
    glyph its own. Limits and scripts interleave in x order, so a word is read on its own line."""
    seq = _combine(sorted((g for g in glyphs if g.ch not in BRACE_PIECES), key=lambda g: (g.x0, -g.base)))
    used: set[int] = set()
    atoms: list[Atom] = []
    for i, g in enumerate(seq):
        if id(g) in used:
            continue
        if g.ch.isdigit() and not g.broken:
            group = _same_line(seq, i, lambda a, b, nxt: b.ch.isdigit() or (
                b.ch == "." and nxt is not None and nxt.ch.isdigit()), 0.2)
            atoms.append(_group_atom(group, "".join(x.ch for x in group), "ord"))
        elif g.ch.isalpha() and not is_greek(g.ch) and not is_italic_font(g.font) and not is_math_font(g.font):
            group = _same_line(seq, i, lambda a, b, nxt: b.ch.isalpha() and not is_greek(b.ch) and b.font == a.font,
                               0.15)
            word = "".join(x.ch for x in group)
            if len(group) > 1:
                atoms.append(_word_atom(group, word, body_family))
            else:
                atoms.append(_glyph_atom(g))
        else:
            group = [g]
            atoms.append(_glyph_atom(g))
        used.update(id(x) for x in group)
    return _merge_arg(atoms)


_COMBINE = {("↦", "→"): "↦", ("⇐", "⇒"): "⟺", ("=", "⇒"): "⟹", ("⇐", "="): "⟸", ("−", "→"): "⟶",
            ("-", "→"): "⟶", ("←", "−"): "⟵", ("←", "-"): "⟵", (":", "="): "≔", ("↦", "−"): "↦",
            ("<", "−"): "←"}


def _combine(seq: list[Glyph]) -> list[Glyph]:
    """Signs TeX builds from two glyphs (↦ from a bar and an arrow, := , ⟺ from ⇐ and ⇒)."""
    out: list[Glyph] = []
    for g in seq:
        prev = out[-1] if out else None
        if prev is not None and (prev.ch, g.ch) in _COMBINE and abs(prev.base - g.base) < 0.15 * g.size \
                and g.x0 - prev.x1 <= 0.25 * g.size:
            out[-1] = Glyph(_COMBINE[(prev.ch, g.ch)], g.font, max(prev.size, g.size), prev.x0, min(prev.y0, g.y0),
                            g.x1, max(prev.y1, g.y1), prev.base, prev.index, prev.broken or g.broken, prev.kind)
        else:
            out.append(g)
    return out


def _same_line(seq: list[Glyph], i: int, joins, max_gap: float) -> list[Glyph]:
    """seq[i] and the glyphs that follow it on its baseline, as long as `joins` says so."""
    first = seq[i]
    line = [g for g in seq[i + 1:] if abs(g.base - first.base) < 0.15 * first.size
            and abs(g.size - first.size) < 0.1 * first.size]
    group = [first]
    for k, g in enumerate(line):
        nxt = line[k + 1] if k + 1 < len(line) else None
        if g.x0 - group[-1].x1 > max_gap * first.size or not joins(group[-1], g, nxt):
            break
        group.append(g)
    return group


def _word_atom(glyphs: list[Glyph], word: str, body_family: str) -> Atom:
    if word in FUNCTIONS:
        if word in STANDARD_FUNCTIONS:
            latex = "\\" + word
        elif word in ("argmin", "argmax"):
            latex = r"\operatorname*{arg\," + word[3:] + "}"
        else:
            latex = r"\operatorname{" + word + "}"
        atom = _group_atom(glyphs, latex, "op")
        atom.limits = word in LIMIT_FUNCTIONS
        atom.text = word
        return atom
    if font_family(glyphs[0].font) == body_family and not is_math_text_font(glyphs[0].font):
        return _group_atom(glyphs, r"\text{" + word + "}", "text")
    style = font_style(glyphs[0].font) or "mathrm"
    return _group_atom(glyphs, f"\\{style}{{{word}}}", "ord")


def _merge_arg(atoms: list[Atom]) -> list[Atom]:
    """'arg' set apart from 'min' by a thin space is still one operator."""
    out: list[Atom] = []
    for a in sorted(atoms, key=lambda a: a.x0):
        prev = out[-1] if out else None
        if prev is not None and prev.text == "arg" and a.text in ("min", "max") and a.x0 - prev.x1 < 0.5 * a.size:
            merged = _group_atom([], r"\operatorname*{arg\," + a.text + "}", "op", (prev, a))
            merged.limits, merged.text = True, "arg" + a.text
            out[-1] = merged
        else:
            out.append(a)
    return out


def _group_atom(glyphs: list[Glyph], latex: str, kind: str, atoms: tuple = ()) -> Atom:
    parts = list(glyphs) + list(atoms)
    size = max(p.size for p in parts)
    return Atom(latex, min(p.x0 for p in parts), min(p.y0 for p in parts), max(p.x1 for p in parts),
                max(p.y1 for p in parts), statistics.median(p.base for p in parts), size, kind,
                "".join(getattr(p, "ch", getattr(p, "text", "")) for p in parts))


def _glyph_atom(g: Glyph) -> Atom:
    ch, size = g.ch, g.size
    base = g.base
    if base_font(g.font).upper().startswith("CMEX") or (g.y1 - g.y0) > 1.6 * size:
        base = (g.y0 + g.y1) / 2 - AXIS * size  # big glyphs hang around the math axis, not on a baseline
    atom = Atom(char_latex(ch), g.x0, g.y0, g.x1, g.y1, base, size, "ord", ch)
    if g.broken:
        atom.latex = "?"
        return atom
    high = g.y0 > g.base + 0.35 * size and (g.y1 - g.y0) < 0.4 * size
    if ch in ACCENTS and (high or ch in "¯ˆ˜˙¨ˇ˘"):
        atom.kind, atom.accent = "accent", ACCENTS[ch]
        return atom
    if ch in ("^", "~") and high:
        atom.kind, atom.accent = "accent", ACCENTS["ˆ" if ch == "^" else "˜"]
        return atom
    if ch == "√":
        atom.kind, atom.latex = "rad", r"\surd"
        return atom
    if ch in BIG_OPERATORS:
        atom.kind, atom.limits = "op", ch not in "∫∬∭∮"
    elif ch in RELATIONS:
        atom.kind = "rel"
    elif ch in BINARY:
        atom.kind = "bin"
    elif ch in "([⟨⌊⌈{〈":
        atom.kind = "open"
    elif ch in ")]⟩⌋⌉}〉":
        atom.kind = "close"
    elif ch in ",;.:!":
        atom.kind = "punct"
    elif ch in "′″'":
        atom.kind, atom.latex = "prime", "'"
    elif ch.isascii() and ch.isalpha():
        style = font_style(g.font)
        if style in ("mathcal", "mathbb", "mathfrak") and ch.isupper() or style == "mathbf":
            atom.latex = f"\\{style}{{{ch}}}"
    return atom
