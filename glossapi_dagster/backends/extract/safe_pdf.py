"""phase1_backend='safe': pypdfium2's text layer, an order of magnitude faster than Docling,
still written as a DoclingDocument (pages, text items with page and box, evident headings) so
Phase 2 and every downstream tool keep the structure.

A document's route through this backend, one step a module:
- safe_lines: per page, pdfium's text in its own reading order, split into lines, lines of one
  size and close together grouped into blocks;
- safe_repairs: each block's lines joined (hyphenation at line ends repaired), its text cleaned
  and given the Greek repairs;
- safe_layout: reading order, headings (clearly larger, short blocks), furniture labelled;
- safe_docling: the Docling JSON (as the dict docling-core would export; tests load every such
  dict with docling-core) and the markdown.
This module opens the PDF and its pages, keeps the budgets and looks for a page's images.
"""
from __future__ import annotations

import ctypes
import logging
import os
import time
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .base import Conversion, ConversionFailed, failure_reason
from .docling_template import empty_document
from ..greek.pdfium_lgr import DECODED, UNDECODED
from .pdf_images import EMPTY_PAGE_CHARS, image_boxes, image_cover
from .pdfium_text import (
    CLOSE_DOCUMENT, CLOSE_PAGE, CLOSE_TEXT, LOAD_PAGE, LOAD_TEXT, PAGE_HEIGHT, PAGE_WIDTH, address, open_document,
    typed,
)
from .safe_docling import build_document
from .safe_layout import join_drop_caps, mark_decorations, mark_furniture, mark_headings, pages_with, top_first
from .safe_lines import Block, read_blocks
from .safe_repairs import repair_blocks

# Looking for a page's images costs two C calls an object (text objects too: ~5% of the backend's
# time); a page whose text blocks cover more of it than this is not looked into. Measured over the
# corpus: its 23 pages with pictures have 0.47 of them covered at most; the pages over 0.6 hold
# 37% of its objects (the gazettes' dense pages).
DENSE_TEXT = 0.6


class SafePdfExtractor:
    def __init__(self, max_pages: int | None = None, page_time_budget: float = 20.0,
                 log: logging.Logger | None = None):
        self.max_pages = max_pages
        self.page_time_budget = page_time_budget
        self.log = log or logging.getLogger(__name__)
        self.template = empty_document()
        self._rect = pdfium_c.FS_RECTF()
        self._rect_ref = ctypes.c_void_p(address(self._rect))  # for bare calls (pdfium_text.bare_call)

    def convert(self, path: str | Path, page_range: tuple[int, int] | None = None) -> Conversion:
        """The whole PDF, or its pages first..last (1-based, inclusive; they keep their numbers)."""
        started = time.perf_counter()
        try:
            pdf, count = open_document(os.fspath(path))
        except (pdfium.PdfiumError, OSError) as exc:
            raise ConversionFailed(failure_reason(path, str(exc))) from exc
        try:
            if count == 0:
                raise ConversionFailed("empty: the PDF has no pages")
            if self.max_pages is not None and count > self.max_pages:
                raise ConversionFailed(f"page budget: {count} pages > {self.max_pages}")
            pages, sizes, covers, pictures = [], {}, {}, {}
            repairs: dict[str, list[int]] = {DECODED: [], UNDECODED: []}
            first, last = page_range or (1, count)
            for index in range(first - 1, min(last, count)):
                page_started = time.perf_counter()
                pages.append(self._read_page(pdf, index, count, sizes, covers, pictures, repairs))
                spent = time.perf_counter() - page_started
                if spent > self.page_time_budget:
                    raise ConversionFailed(f"time budget: page {index + 1} took {spent:.1f}s > {self.page_time_budget:g}s")
        finally:
            CLOSE_DOCUMENT(pdf)
        parsed = time.perf_counter()
        mark_headings(pages, sizes)
        if mark_decorations(pages):  # first: a page number beside the coat of arms is alone on its row
            repairs["decorations"] = pages_with(pages, first, ("decoration",))
        if mark_furniture(pages):
            repairs["furniture"] = pages_with(pages, first, ("page_header", "page_footer"))
        body_size = max(sizes, key=sizes.get) if sizes else None
        data, markdown, ends_open = build_document(self.template, Path(path).stem, pages, pictures, first, body_size)
        done = time.perf_counter()
        return Conversion(None, len(pages), done - started, "safe", {"parse": parsed - started, "assemble": done - parsed},
                          markdown=markdown, data=data, page_covers=covers, ends_open=ends_open,
                          repairs={k: v for k, v in repairs.items() if v})

    def _read_page(self, pdf, index: int, count: int, sizes: dict, covers: dict, pictures: dict,
                   repairs: dict) -> tuple[float, float, list[Block]]:
        """The page's blocks; sizes (font size -> characters) is summed over the document, and
        covers gets the image cover of a near-empty page (a scan?) while it is open, pictures
        (page number -> boxes) the images of any other page, as Docling's pictures.

        pdfium's C API directly, on plain addresses (pdfium_text): pypdfium2's page and text-page
        objects (finalizers, parent bookkeeping, text-range checks) cost ~0.3 ms a page, a tenth
        of pdfium's own parsing, and each call through its bindings converts the handles."""
        page = LOAD_PAGE(pdf, index)
        if not page:
            raise ConversionFailed(f"corrupt: page {index + 1} of {count} cannot be loaded")
        try:
            width, height = PAGE_WIDTH(page), PAGE_HEIGHT(page)
            textpage = LOAD_TEXT(page)
            if not textpage:
                raise ConversionFailed(f"corrupt: the text of page {index + 1} of {count} cannot be read")
            try:
                text, blocks, lgr_state = read_blocks(textpage, width, height, sizes, self._rect, self._rect_ref)
                blocks = join_drop_caps(top_first(blocks))
            finally:
                CLOSE_TEXT(textpage)
            if _near_empty(text, blocks):
                covers[index + 1] = image_cover(typed(page, pdfium_c.FPDF_PAGE))
            elif _text_cover(blocks, width, height) <= DENSE_TEXT and (
                    boxes := image_boxes(typed(page, pdfium_c.FPDF_PAGE), width, height)):
                pictures[index + 1] = boxes
        finally:
            CLOSE_PAGE(page)
        changed = repair_blocks(blocks, lgr_state)
        if lgr_state:
            repairs[lgr_state].append(index + 1)
        for name in changed:
            repairs.setdefault(name, []).append(index + 1)
        return width, height, blocks


def _text_cover(blocks: list[Block], width: float, height: float) -> float:
    """The share of the page its text blocks' boxes cover (their overlaps counted twice)."""
    return sum((blk.r - blk.l) * (blk.t - blk.b) for blk in blocks) / max(width * height, 1.0)


def _near_empty(text: str, blocks: list[Block]) -> bool:
    """Fewer than EMPTY_PAGE_CHARS non-blank characters; the raw count bounds it, cheaply."""
    upper = len(text) - text.count(" ") - text.count("\r") - text.count("\n")
    if upper >= 2 * EMPTY_PAGE_CHARS:
        return False
    return sum(len(w) for blk in blocks for ln in blk.lines for w in ln.split()) < EMPTY_PAGE_CHARS
