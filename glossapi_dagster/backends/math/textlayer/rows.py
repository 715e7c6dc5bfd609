"""Glyphs into rows (baseline bands, scripts with their bases), rows into segments, mathy runs."""
from __future__ import annotations

import bisect
from collections import Counter

from .scan import BROKEN, Glyph, RUN_GAP, SEGMENT_GAP, STRONG, SYMBOL, TEXT, WEAK
from .symbols import FUNCTIONS, NOT_ALONE


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
