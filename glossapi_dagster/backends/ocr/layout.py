"""Reading order for OCR'd text lines: recursive XY-cut into blocks, then lines into paragraphs.

RapidOCR returns one box per detected text line, in no useful order. A page is cut recursively
along whitespace: columns first (a vertical gap no line crosses), else rows (a horizontal gap
no line crosses), so a two-column gazette reads column by column and a full-width heading comes
before the columns under it. A block that cannot be cut is read top to bottom; its lines become
paragraphs where the spacing, a first-line indent or a list item's start says so
(paragraph_starts.py), hyphenated line ends rejoined.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass

from ..line_join import join_pair
from ..paragraph_starts import split_at_starts

COLUMN_GAP = 0.5     # a vertical gap at least this many line heights wide (no line crossing it) separates columns
ROW_GAP = 0.8        # a horizontal gap at least this many line heights high separates blocks
PARAGRAPH_GAP = 0.6  # inside a block, a larger gap between lines starts a paragraph (more in 1.5-spaced text)
INDENT = 1.5         # a first line indented this many line heights starts a paragraph


@dataclass(frozen=True)
class Line:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float = 1.0

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1e-6)


@dataclass(frozen=True)
class Paragraph:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    lines: int


def lines_from_quads(boxes, texts, scores=None) -> list[Line]:
    """RapidOCR's quadrilaterals (4 corner points each) as axis-aligned lines; blank text dropped."""
    out = []
    for i, (quad, text) in enumerate(zip(boxes if boxes is not None else [], texts or [])):
        text = " ".join(str(text).split())
        if not text:
            continue
        xs = [float(p[0]) for p in quad]
        ys = [float(p[1]) for p in quad]
        out.append(Line(min(xs), min(ys), max(xs), max(ys), text, float(scores[i]) if scores is not None else 1.0))
    return out


def _spans(lines: list[Line], lo: str, hi: str) -> list[tuple[float, float, list[Line]]]:
    """Lines grouped where their projections on one axis overlap (sorted along that axis)."""
    groups: list[tuple[float, float, list[Line]]] = []
    for line in sorted(lines, key=lambda ln: getattr(ln, lo)):
        start, end = getattr(line, lo), getattr(line, hi)
        if groups and start <= groups[-1][1]:
            s, e, members = groups[-1]
            members.append(line)
            groups[-1] = (s, max(e, end), members)
        else:
            groups.append((start, end, [line]))
    return groups


def _cut(lines: list[Line], lo: str, hi: str, min_gap: float, first_only: bool = False) -> list[list[Line]] | None:
    """Split at every gap of at least `min_gap` on one axis (or only at the first); None if none."""
    groups = _spans(lines, lo, hi)
    if len(groups) < 2:
        return None
    parts, current = [], list(groups[0][2])
    for prev, nxt in zip(groups, groups[1:]):
        if nxt[0] - prev[1] >= min_gap and not (first_only and parts):
            parts.append(current)
            current = []
        current.extend(nxt[2])
    parts.append(current)
    return parts if len(parts) > 1 else None


def blocks(lines: list[Line], line_height: float | None = None) -> list[list[Line]]:
    """The page's lines as blocks in reading order (recursive XY-cut, columns before rows).

    A row cut only peels off the topmost band: what is below it gets its own chance of a column
    cut, so a column that ends higher than its neighbour does not cut the other one in two."""
    if not lines:
        return []
    h = line_height or statistics.median(ln.height for ln in lines)
    out: list[list[Line]] = []
    stack = [lines]
    while stack:  # depth-first, so the blocks come out in reading order
        region = stack.pop()
        parts = _cut(region, "x0", "x1", COLUMN_GAP * h) if len(region) > 1 else None
        if parts is None and len(region) > 1:
            parts = _cut(region, "y0", "y1", ROW_GAP * h, first_only=True)
        if parts is None:
            out.append(region)
        else:
            stack.extend(reversed(parts))
    return out


def _rows(block: list[Line]) -> list[list[Line]]:
    """Visual rows of a block: lines overlapping vertically by half a line, left to right."""
    rows: list[list[Line]] = []
    for line in sorted(block, key=lambda ln: (ln.y0 + ln.y1) / 2):
        if rows:
            top, bottom = min(x.y0 for x in rows[-1]), max(x.y1 for x in rows[-1])
            overlap = min(bottom, line.y1) - max(top, line.y0)
            if overlap >= 0.5 * min(line.height, bottom - top):
                rows[-1].append(line)
                continue
        rows.append([line])
    return [sorted(r, key=lambda ln: ln.x0) for r in rows]


def paragraphs(lines: list[Line]) -> list[Paragraph]:
    """Paragraphs of one page in reading order."""
    if not lines:
        return []
    h = statistics.median(ln.height for ln in lines)
    out: list[Paragraph] = []
    for block in blocks(lines, h):
        rows = _rows(block)
        left = min(ln.x0 for ln in block)
        gap_limit = _paragraph_gap(rows, h)
        # list items and paragraphs that only a line's start or the line before's end shows
        starts = set(split_at_starts([" ".join(ln.text for ln in row) for row in rows],
                                     [(row[0].x0, max(ln.x1 for ln in row)) for row in rows], h))
        current: list[list[Line]] = []
        for i, row in enumerate(rows):
            if current:
                prev_bottom = max(ln.y1 for ln in current[-1])
                gap = min(ln.y0 for ln in row) - prev_bottom
                indented = row[0].x0 - left >= INDENT * h and current[-1][0].x0 - left < INDENT * h
                if gap > gap_limit or indented or i in starts:
                    out.append(_paragraph(current))
                    current = []
            current.append(row)
        out.append(_paragraph(current))
    return out


def _gaps(rows: list[list[Line]]) -> list[float]:
    return [min(ln.y0 for ln in b) - max(ln.y1 for ln in a) for a, b in zip(rows, rows[1:])]


def _paragraph_gap(rows: list[list[Line]], h: float) -> float:
    """The gap between rows that starts a paragraph: PARAGRAPH_GAP line heights, or half a line
    more than the block's usual gap where it has enough rows to tell (1.5-spaced text)."""
    gaps = sorted(_gaps(rows))
    usual = gaps[len(gaps) // 2] if len(gaps) >= 3 else 0.0
    return max(PARAGRAPH_GAP * h, usual + 0.5 * h)


def _paragraph(rows: list[list[Line]]) -> Paragraph:
    text = ""
    for row in rows:
        text = join_pair(text, " ".join(ln.text for ln in row))
    every = [ln for row in rows for ln in row]
    return Paragraph(text, min(ln.x0 for ln in every), min(ln.y0 for ln in every),
                     max(ln.x1 for ln in every), max(ln.y1 for ln in every), len(rows))
