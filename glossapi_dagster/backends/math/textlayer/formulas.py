"""The formulas of a page: display blocks with their tags, and inline runs, each to LaTeX."""
from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass

from .atoms import _atoms
from .layout import Rule, layout
from .rows import _rows, _runs, _segments
from .scan import BROKEN, DISPLAY_SHARE, Formula, Glyph, PageScan, STRONG, SYMBOL, TEXT, _TAG
from .symbols import BIG_OPERATORS, BINARY, NOT_ALONE, RELATIONS, is_math_font, is_math_symbol


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
