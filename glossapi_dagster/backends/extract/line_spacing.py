"""A page set with wide line spacing (1.5 or double, as theses are) keeps its paragraphs whole.

The block builder (safe_lines) joins a line to the one above when the gap between their boxes is
under LINE_GAP of a line's height: single-spaced text. At 1.5 spacing the gap between a
paragraph's lines is about three quarters of a line's height, so every line came out as a
paragraph of its own (`Αν το κείμενο είναι` / `στα Αγγλικά τότε ...`). What tells a paragraph's
spacing from its lines' is not a fixed share but the page itself: its lines follow each other at
one gap, the most common one, and a paragraph or a title is set further apart (or, with no
spacing between paragraphs, starts with an indent or after a short line, which
paragraph_starts finds among the joined lines).

So where the page's most common gap between consecutive lines of one size is one the builder
split at, blocks one such gap apart, in one size and one column, are one run of lines, unless
the lower one starts a paragraph or item by paragraph_starts' rules, its "short" and "indented"
read against the column (the blocks across from it), not the block's own width: a run of short
lines (`Προτεινόμενο: 1 σελίδα.` / `Μέγιστο: 2 σελίδες.`) stays apart. At this spacing a
paragraph's lines run to the column's edge but its last, so below a line that ended short only
one that goes on in lower case (a sentence broken around a formula) continues it; any other
starts another, sentence ended or not (`... ∀x ∈ X` / `(ii) Symmetrie`, `Teilaufgabe a)` /
`Beh.: ...`, a table of contents' `1 Εισαγωγή 1` / `1.1 Στόχοι`).
"""
from __future__ import annotations

from collections import Counter

from ..paragraph_starts import INDENT, SHORT_LINE, starts_paragraph

SAME_GAP = 0.1     # of a line's height: two gaps this close are the page's one line spacing
MIN_LINES = 3      # a spacing seen fewer times between blocks is no page's line spacing
SHARE = 0.5        # of the gaps between the page's consecutive lines: its line spacing is most of them
SIZE_TOLERANCE = 0.6  # points, as safe_lines' (which imports this module: not imported from it)


def page_line_spacing(gaps: Counter, heights: list[float], line_gap: float) -> tuple[float, float] | None:
    """(the gap most of a page's consecutive lines are apart by, a line's height: the median of
    heights) where the builder split at that gap (over line_gap of a line's height); gaps: rounded
    gap -> how many. None where no one gap is most of them, or the builder joined at it already."""
    if sum(gaps.values()) < MIN_LINES or not heights:
        return None
    height = sorted(heights)[len(heights) // 2]
    near = _near(height)
    # the gap most lines are apart by, give or take `near` (a gap of 8.6 and one of 9.1 are one)
    seen, common = max((sum(n for g, n in gaps.items() if abs(g - key) <= near), key) for key in gaps)
    if seen < SHARE * sum(gaps.values()) or common <= line_gap * height:
        return None
    return common, height


def same_spacing(gap: float, spacing: float, height: float) -> bool:
    return abs(gap - spacing) <= _near(height)


def starts_run(above: str, above_box: tuple[float, float], below: str, below_left: float, size: float,
               column: tuple[float, float]) -> bool:
    """Whether the line `below` (its left edge; its size) starts a paragraph or item after the line
    `above` (its left and right edges), in a column (its left and right edges)."""
    x0, x1 = column
    short = above_box[1] < x0 + SHORT_LINE * (x1 - x0)
    indented = below_left >= x0 + INDENT * size > above_box[0]
    # below a line that ended short (a heading, an entry, a formula, a clause without its stop),
    # any line but one that goes on in lower case: at this spacing a paragraph's lines run full
    return (short and not below[:1].islower()) or starts_paragraph(above, below, short, indented)


def join_spaced_lines(blocks: list, line_gap: float) -> list:
    """The page's blocks (in reading order), those apart by the page's own line spacing joined.
    line_gap: the share of a line's height under which the builder joined lines already."""
    if len(blocks) < MIN_LINES + 1:
        return blocks
    gaps: Counter = Counter()  # between consecutive lines of one size and column, rounded
    between = []  # (index, gap) of each block that may go on the one before it
    heights = []
    for i, block in enumerate(blocks):
        boxes = block.boxes
        # a line's height (not a box pdfium ran over two baselines, a hyphenated word's)
        size = block.size_sum / len(block.lines)
        heights.extend(t - b for _, b, _, t in boxes if t - b < 2 * size)
        for (_, b, _, _), (_, _, _, t) in zip(boxes, boxes[1:]):
            gaps[round(b - t)] += 1
        if i and _same_run(blocks[i - 1], block):
            gap = blocks[i - 1].boxes[-1][1] - boxes[0][3]
            between.append((i, gap))
            gaps[round(gap)] += 1
    if len(between) < MIN_LINES or (found := page_line_spacing(gaps, heights, line_gap)) is None:
        return blocks
    spacing, height = found
    joined = {i for i, gap in between if same_spacing(gap, spacing, height)}
    if len(joined) < MIN_LINES:
        return blocks
    out = [blocks[0]]
    for i in range(1, len(blocks)):
        if i in joined and not _starts(blocks, i):
            _append(out[-1], blocks[i])
        else:
            out.append(blocks[i])
    return out


def _near(height: float) -> float:
    return max(SAME_GAP * height, 0.5) + 0.5  # gaps are rounded to the point


def _starts(blocks: list, i: int) -> bool:
    """Whether block i starts a paragraph or item after the block before it, in their column."""
    above, below = blocks[i - 1], blocks[i]
    column = [b for b in blocks if b.l < below.r and below.l < b.r]
    last_l, _, last_r, _ = above.boxes[-1]
    return starts_run(above.lines[-1], (last_l, last_r), below.lines[0], below.boxes[0][0],
                      below.size_sum / len(below.lines), (min(b.l for b in column), max(b.r for b in column)))


def _same_run(above, below) -> bool:
    """One size, one column (their boxes overlap across), below it."""
    size_above = above.size_sum / len(above.lines)
    size_below = below.size_sum / len(below.lines)
    return (abs(size_above - size_below) <= SIZE_TOLERANCE and below.l < above.r and above.l < below.r
            and below.t <= above.boxes[-1][1] + 0.5 * (above.boxes[-1][3] - above.boxes[-1][1]))


def _append(block, other) -> None:
    block.lines.extend(other.lines)
    block.boxes.extend(other.boxes)
    block.l, block.b = min(block.l, other.l), min(block.b, other.b)
    block.r, block.t = max(block.r, other.r), max(block.t, other.t)
    block.size_sum += other.size_sum
