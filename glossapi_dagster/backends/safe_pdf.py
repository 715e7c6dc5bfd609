"""phase1_backend='safe': pypdfium2's text layer, an order of magnitude faster than Docling,
still written as a DoclingDocument (pages, text items with page and box, evident headings) so
Phase 2 and every downstream tool keep the structure.

Per page: pdfium's text in its own reading order, split into lines; each line's box from its
first and last character, its size from the first character's font. Lines of one size and
close together become a paragraph, with hyphenation at line ends repaired; clearly larger,
short lines become headings.
"""
from __future__ import annotations

import logging
import os
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from .base import Conversion, ConversionFailed, failure_reason
from .text_fixes import clean_text

_LINE = re.compile(r"[^\r\n]+")
_HYPHENS = ("-", "\u00ad", "\u2010")
# pdfium marks a soft hyphen that broke a word across lines with U+FFFE (or U+0002) and does not
# break the line there: the word is whole once the mark is gone.
_SOFT_BREAKS = str.maketrans("", "", "\ufffe\x02")
HEADING_RATIO = 1.2       # a line this much larger than the body text is a heading
MAX_HEADING_CHARS = 150


@dataclass
class Line:
    text: str
    box: tuple[float, float, float, float]   # left, bottom, right, top (PDF points, origin bottom-left)
    size: float


@dataclass
class Block:
    kind: str                                 # "text" or "heading"
    lines: list[Line]
    text: str = ""

    @property
    def box(self) -> tuple[float, float, float, float]:
        boxes = [ln.box for ln in self.lines]
        return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


class SafePdfExtractor:
    def __init__(self, max_pages: int | None = None, page_time_budget: float = 20.0,
                 log: logging.Logger | None = None):
        import pypdfium2  # noqa: F401 - fail at worker start, not on the first document
        from docling_core.types.doc import DoclingDocument  # noqa: F401

        self.max_pages = max_pages
        self.page_time_budget = page_time_budget
        self.log = log or logging.getLogger(__name__)

    def convert(self, path: str | Path) -> Conversion:
        import pypdfium2 as pdfium

        started = time.perf_counter()
        try:
            pdf = pdfium.PdfDocument(os.fspath(path))
        except (pdfium.PdfiumError, OSError) as exc:
            raise ConversionFailed(failure_reason(path, str(exc))) from exc
        try:
            count = len(pdf)
            if count == 0:
                raise ConversionFailed("empty: the PDF has no pages")
            if self.max_pages is not None and count > self.max_pages:
                raise ConversionFailed(f"page budget: {count} pages > {self.max_pages}")
            pages = []
            for index in range(count):
                page_started = time.perf_counter()
                pages.append(self._read_page(pdf, index, path))
                spent = time.perf_counter() - page_started
                if spent > self.page_time_budget:
                    raise ConversionFailed(f"time budget: page {index + 1} took {spent:.1f}s > {self.page_time_budget:g}s")
        finally:
            pdf.close()
        parsed = time.perf_counter()
        _mark_headings([b for _, _, page_blocks in pages for b in page_blocks])
        doc, markdown = _build(Path(path).stem, pages)
        done = time.perf_counter()
        return Conversion(doc, count, done - started, "safe", {"parse": parsed - started, "assemble": done - parsed},
                          markdown=markdown)

    def _read_page(self, pdf, index: int, path) -> tuple[float, float, list[Block]]:
        import pypdfium2 as pdfium
        import pypdfium2.raw as raw

        try:
            page = pdf[index]
        except pdfium.PdfiumError as exc:
            raise ConversionFailed(f"corrupt: page {index + 1} of {len(pdf)} cannot be loaded ({exc})") from exc
        try:
            width, height = page.get_size()
            textpage = page.get_textpage()
            try:
                text = textpage.get_text_range()
                aligned = len(text) == textpage.count_chars()  # char indices match text offsets
                lines = []
                for m in _LINE.finditer(text):
                    if not m.group().strip():
                        continue
                    if aligned:
                        first, last = m.start(), m.end() - 1
                        l1, b1, r1, t1 = textpage.get_charbox(first)
                        l2, b2, r2, t2 = textpage.get_charbox(last)
                        box = (min(l1, l2), min(b1, b2), max(r1, r2), max(t1, t2))
                        size = raw.FPDFText_GetFontSize(textpage.raw, first)
                    else:
                        box, size = (0.0, 0.0, width, height), 0.0
                    lines.append(Line(m.group().strip().translate(_SOFT_BREAKS), box, float(size)))
            finally:
                textpage.close()
        finally:
            page.close()
        return width, height, _paragraphs(lines)


def _paragraphs(lines: list[Line]) -> list[Block]:
    """Consecutive lines of one size, vertically close and left-aligned-ish, form one block."""
    blocks: list[Block] = []
    for line in lines:
        prev = blocks[-1].lines[-1] if blocks else None
        if prev is not None and _continues(prev, line):
            blocks[-1].lines.append(line)
        else:
            blocks.append(Block("text", [line]))
    for block in blocks:
        block.text = _join(block.lines)
    return blocks


def _continues(prev: Line, line: Line) -> bool:
    if abs(prev.size - line.size) > 0.6:
        return False
    height = max(prev.box[3] - prev.box[1], line.box[3] - line.box[1], 1.0)
    gap = prev.box[1] - line.box[3]           # the next line sits below the previous one
    return -0.5 * height <= gap <= 1.2 * height


def _join(lines: list[Line]) -> str:
    out = lines[0].text
    for line in lines[1:]:
        nxt = line.text
        if out.endswith(_HYPHENS) and len(out) > 1 and out[-2].isalpha() and nxt[:1].islower():
            out = out[:-1] + nxt                   # "exam-" + "ple" -> "example"
        else:
            out = f"{out} {nxt}"
    return clean_text(out)


def _mark_headings(blocks: list[Block]) -> list[Block]:
    """Headings where the font size makes them evident: short blocks well above the body size."""
    sized = [(ln.size, len(ln.text)) for b in blocks for ln in b.lines if ln.size > 0]
    if not sized:
        return blocks
    weights: dict[float, int] = {}
    for size, chars in sized:
        weights[round(size, 1)] = weights.get(round(size, 1), 0) + chars
    body = max(weights, key=weights.get)
    for block in blocks:
        size = statistics.fmean(ln.size for ln in block.lines)
        if size >= body * HEADING_RATIO and len(block.text) <= MAX_HEADING_CHARS and len(block.lines) <= 3:
            block.kind = "heading"
    return blocks


def _build(name: str, pages: list[tuple[float, float, list[Block]]]):
    """The DoclingDocument (via docling-core) and its markdown, written side by side."""
    from docling_core.types.doc import BoundingBox, CoordOrigin, DocItemLabel, DoclingDocument, ProvenanceItem, Size

    doc = DoclingDocument(name=name)
    parts: list[str] = []
    for page_no, (width, height, blocks) in enumerate(pages, start=1):
        doc.add_page(page_no=page_no, size=Size(width=width, height=height))
        for block in blocks:
            if not block.text:
                continue
            l, b, r, t = block.box
            prov = ProvenanceItem(page_no=page_no, charspan=(0, len(block.text)),
                                  bbox=BoundingBox(l=l, t=t, r=r, b=b, coord_origin=CoordOrigin.BOTTOMLEFT))
            if block.kind == "heading":
                doc.add_heading(text=block.text, level=1, prov=prov)
                parts.append(f"## {block.text}")
            else:
                doc.add_text(label=DocItemLabel.TEXT, text=block.text, prov=prov)
                parts.append(block.text)
    return doc, "\n\n".join(parts) + ("\n" if parts else "")
