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
   the 2D layout (layout.py) to LaTeX.

A formula with a broken glyph is reported as such (broken_tounicode), never decoded: guessing
would emit nonsense like 'xptq' for x(t).

Built once per worker; pypdfium2 only (docling-parse's char cells carry no baseline or size,
and garble the glyphs of fonts without a ToUnicode map where pdfium flags them).
"""

from __future__ import annotations

import logging
import os
import time

from .classing import DocFonts, _classify, document_fonts
from .formulas import _find_formulas, _formula
from .glyphs import _glyphs, _may_hold_math, _rules
from .scan import DocScan, Formula, PageScan
from .symbols import font_family


class TextLayerMath:
    """Finds formulas in a PDF's text layer and rebuilds their LaTeX. No model, no GPU."""

    name = "textlayer"

    def __init__(self, log: logging.Logger | None = None, max_pages: int | None = None):
        import pypdfium2  # noqa: F401 - fail at worker start, not on the first document

        self.log = log or logging.getLogger(__name__)
        self.max_pages = max_pages

    # -- public -------------------------------------------------------------------------------
    def scan(self, path: str | os.PathLike, must_read: set[int] = frozenset(), pages: set[int] | None = None,
             fonts: DocFonts | None = None) -> DocScan:
        """Every page whose fonts or characters could hold math is read glyph by glyph (the other
        pages cost one look at their fonts and text); `must_read` pages always are. `pages`: only
        these (a page range), classed with the whole document's `fonts` (fonts()), so that they
        give the formulas a whole scan gives on them."""
        started = time.perf_counter()
        read = self._read(path, must_read, pages, geometry=True)
        glyphs = [g for p in read for g in sorted(p.glyphs, key=lambda g: g.index)]
        body = _classify(glyphs, fonts if pages is not None else None)
        body_family = font_family(body) if body else ""
        for page in read:
            page.formulas = _find_formulas(page, body_family)
        return DocScan(read, body, time.perf_counter() - started)

    def fonts(self, path: str | os.PathLike, must_read: set[int] = frozenset()) -> DocFonts:
        """The document's DocFonts, from the pages a whole scan reads, without their geometry."""
        read = self._read(path, must_read, None, geometry=False)
        return document_fonts([g for p in read for g in sorted(p.glyphs, key=lambda g: g.index)])

    def _read(self, path, must_read: set[int], pages: set[int] | None, geometry: bool) -> list[PageScan]:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(os.fspath(path))
        try:
            out = []
            count = len(pdf) if self.max_pages is None else min(len(pdf), self.max_pages)
            for index in range(count):
                if pages is not None and index + 1 not in pages:
                    continue
                page = pdf[index]
                try:
                    width, height = page.get_size()
                    textpage = page.get_textpage()
                    try:
                        read = index + 1 in must_read or _may_hold_math(page, textpage)
                        glyphs = _glyphs(textpage, geometry) if read else []
                    finally:
                        textpage.close()
                    rules = _rules(page) if glyphs and geometry else []
                finally:
                    page.close()
                out.append(PageScan(index + 1, width, height, glyphs, rules))
        finally:
            pdf.close()
        return out

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
