"""Long documents as page ranges: the unit of work of Phase 1 for a PDF over max_pages_per_unit.

Each range is a queue item of its own, so any worker takes it and a faster device drains more;
a failing range is bisected down to its bad pages. Its options are ExtractOptions'.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..state.filetype import is_pdf

# The range size, the failed-page share and the time limits are options (datamodel/options.py).
PAGE_TIMEOUT_S = 20.0               # GlossAPI's 20 s a page, where a phase has no page_time_budget


@dataclass(frozen=True, order=True)
class PageRange:
    """Pages first..last (1-based, inclusive) of the PDF at `path`, which has `total` pages."""

    path: str
    first: int
    last: int
    total: int

    @property
    def pages(self) -> int:
        return self.last - self.first + 1

    def halves(self) -> tuple["PageRange", "PageRange"]:
        mid = (self.first + self.last) // 2
        return (PageRange(self.path, self.first, mid, self.total),
                PageRange(self.path, mid + 1, self.last, self.total))

    def __str__(self) -> str:  # the worker markers show it
        return f"{self.path}#pages={self.first}-{self.last}"


def pdf_pages(path: str) -> int | None:
    """The page count (pdfium: milliseconds), or None where the PDF cannot be opened (the whole
    document then goes as one item and fails with its own reason)."""
    if not is_pdf(path):  # by its bytes: a PDF under another name is split like any
        return None
    import pypdfium2 as pdfium

    from ..backends.extract.pdfium_text import CLOSE_DOCUMENT, open_document

    try:  # pdfium on plain addresses: PdfDocument's wrapper was ~0.1 ms of the controller's ~2 a document
        pdf, count = open_document(os.fspath(path))
    except (pdfium.PdfiumError, OSError):
        return None
    CLOSE_DOCUMENT(pdf)
    return count


def missing_ranges(path: str, total: int, unit: int, done: list[tuple[int, int]],
                   failed: dict[int, str]) -> list[PageRange]:
    """The pages neither done nor failed, in page order, each run of them cut into the fewest ranges
    of at most `unit` pages, of equal length: no 2-page tail, on which a backend that finds running
    headers by their repetition (the safe one) would see too few pages to find them."""
    covered = set(failed)
    for first, last in done:
        covered.update(range(first, last + 1))
    out, start = [], None
    for page in range(1, total + 2):
        if page <= total and page not in covered:
            start = page if start is None else start
        elif start is not None:
            out.extend(_even(path, start, page - 1, total, unit))
            start = None
    return out


def _even(path: str, first: int, last: int, total: int, unit: int) -> list[PageRange]:
    n = last - first + 1
    count = -(-n // unit)
    size, extra = divmod(n, count)
    out = []
    for i in range(count):
        length = size + (i < extra)
        out.append(PageRange(path, first, first + length - 1, total))
        first += length
    return out


def range_timeout(item, per_page: float, startup: float) -> float | None:
    """A range's time limit: per page times its length, plus the start-up allowance; None (the pool's
    item_timeout) for a whole document."""
    if isinstance(item, PageRange):
        return per_page * item.pages + startup
    return None
