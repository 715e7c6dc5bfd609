"""What a scan of a PDF's text layer holds: glyphs, formulas, pages; the glyph kinds and gaps."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .layout import Rule


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
