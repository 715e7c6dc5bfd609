"""Putting decoded LaTeX into a document's markdown, in place of each formula.

The markdown is Phase 1's: Docling's export (one paragraph per text item, formula items as
`<!-- formula-not-decoded -->`) or the safe backend's (one paragraph per block). Each text item
of the Docling JSON is found in it, in reading order, so that every item has a span; then

- a Docling formula item's span becomes `$$latex$$`;
- a display formula found in the text layer replaces the items it covers (Docling's native
  pipeline cuts a formula into many small items: the first becomes `$$latex$$`, the rest go),
  or, inside an item that also holds text, the formula's own characters;
- an inline formula replaces its characters inside the item that holds them with `$latex$`.

What cannot be found is left as it was and reported (placed: false), never guessed.
"""
from __future__ import annotations

import bisect
import html
import re
import unicodedata
from dataclasses import dataclass, field

from ..line_join import HYPHENS

PLACEHOLDER = "<!-- formula-not-decoded -->"
SEPARATOR = "\n\n"
# Characters that extractors write one way or the other (pdfium's Ω is the ohm sign, Docling's the letter).
CONFUSABLE = {"\u2126": "\u03a9", "\u03a9": "\u2126", "\u2206": "\u0394", "\u0394": "\u2206",
              "\u00b5": "\u03bc", "\u03bc": "\u00b5", "\u2212": "-", "\u2223": "|", "\u2016": "\u2225"}
_TEXT_LABELS = {"text", "paragraph", "section_header", "title", "list_item", "caption", "footnote", "formula",
                "code", "page_header", "page_footer", "reference", "checkbox_selected", "checkbox_unselected"}


@dataclass
class Item:
    ref: str
    label: str
    text: str
    page_no: int | None
    bbox: tuple[float, float, float, float] | None   # left, bottom, right, top; origin bottom-left
    span: tuple[int, int] | None = None
    cursor: int = 0                                   # inside the span: where the next inline search starts


@dataclass
class Placement:
    index: int
    display: bool
    latex: str
    page_no: int
    bbox: tuple[float, float, float, float]
    source: list[tuple[str, ...]] = field(default_factory=list)   # per glyph: the characters it may read as
    item_ref: str | None = None
    tag: str | None = None


def doc_items(doc: dict) -> list[Item]:
    """The text items of a Docling JSON document that its markdown holds, in reading order (the
    body tree, body layer), with their page and box."""
    texts = {t["self_ref"]: t for t in doc.get("texts", [])}
    groups = {g["self_ref"]: g for g in doc.get("groups", [])}
    heights = {int(k): (v.get("size") or {}).get("height") for k, v in (doc.get("pages") or {}).items()}
    out: list[Item] = []

    def walk(node: dict) -> None:
        for child in node.get("children", []):
            ref = child.get("$ref") or child.get("cref")
            if ref in texts:
                t = texts[ref]
                # a running header or page number moved to the furniture (or a decoration to the
                # background) stays in the body's tree but not in the markdown: it has no span there
                if t.get("label") in _TEXT_LABELS and t.get("content_layer", "body") == "body":
                    out.append(_item(t, heights))
                walk(t)
            elif ref in groups:
                walk(groups[ref])

    walk(doc.get("body") or {})
    return out


def _item(t: dict, heights: dict) -> Item:
    prov = (t.get("prov") or [None])[0]
    page_no, bbox = None, None
    if prov:
        page_no = prov.get("page_no")
        b = prov.get("bbox") or {}
        if b:
            l, r, top, bottom = b["l"], b["r"], b["t"], b["b"]
            if str(b.get("coord_origin", "")).upper().endswith("TOPLEFT") and heights.get(page_no):
                h = heights[page_no]
                top, bottom = h - top, h - bottom
            bbox = (min(l, r), min(top, bottom), max(l, r), max(top, bottom))
    return Item(t["self_ref"], t.get("label", "text"), t.get("text") or "", page_no, bbox)


def _renderings(item: Item) -> list[str]:
    if item.label == "formula":
        return [f"$${item.text}$$", item.text] if item.text else [PLACEHOLDER]
    text = item.text.strip()
    if not text:
        return []
    escaped = re.sub(r"(?<!\\)_", r"\\_", text)
    forms = [text, escaped, html.escape(text, quote=False), html.escape(escaped, quote=False)]
    if len(text) > 1 and text[-1] in HYPHENS and text[-2].isalpha():
        # a page's last item whose word goes on over the page break lost its hyphen (page_joins)
        forms += [form[:-1] for form in forms]
    return list(dict.fromkeys(forms))


def locate(markdown: str, items: list[Item]) -> None:
    """Give each item the span of its text in the markdown, in order; an item not found keeps None."""
    cursor = 0
    for item in items:
        best = None
        for form in _renderings(item):
            pos = markdown.find(form, cursor)
            if pos != -1 and (best is None or pos < best[0]):
                best = (pos, pos + len(form))
        if best is not None and best[0] - cursor <= 20000:
            item.span = best
            item.cursor = best[0]
            cursor = best[1]


def _area(b) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _inter(a, b) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def _grow(b, d: float):
    return (b[0] - d, b[1] - d, b[2] + d, b[3] + d)


def source_pattern(source: list[tuple[str, ...]]) -> re.Pattern | None:
    """A regex for a formula's characters as a text extractor may have written them: any spacing
    between glyphs, markdown's escapes, either of a glyph's readings."""
    parts = []
    for readings in source:
        alts = []
        readings = [*readings, *(unicodedata.normalize("NFKC", r) for r in readings),
                    *(CONFUSABLE.get(r, "") for r in readings)]
        for ch in dict.fromkeys(readings):
            if not ch or ch.isspace():
                continue
            alt = re.escape(ch)
            if ch == "_":
                alt = r"\\?_"
            elif ch in "<>&":
                alt = f"(?:{re.escape(ch)}|{re.escape(html.escape(ch))})"
            alts.append(alt)
        if alts:
            parts.append(alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")")
    if not parts:
        return None
    body = r"\s*".join(parts)
    first = [r for r in source if any(c.strip() for c in r)]
    head = r"(?<![^\W_])" if first and first[0][0][:1].isalnum() else ""
    tail = r"(?![^\W_])" if first and first[-1][0][-1:].isalnum() else ""
    return re.compile(head + body + tail)


class _Edits(list):
    """The edits made so far, (start, end, text), and their spans in order: whether a new span is
    free takes a bisection, not a look at every edit (a long document has tens of thousands).
    Every span is non-empty (an item's text, a formula's characters) and none overlaps another."""

    def __init__(self):
        super().__init__()
        self.starts: list[int] = []
        self.ends: list[int] = []

    def append(self, edit: tuple[int, int, str]) -> None:
        super().append(edit)
        i = bisect.bisect_right(self.starts, edit[0])
        self.starts.insert(i, edit[0])
        self.ends.insert(i, edit[1])

    def free(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        return (i == 0 or self.ends[i - 1] <= start) and (i == len(self.starts) or self.starts[i] >= end)


def place(markdown: str, items: list[Item], placements: list[Placement]) -> tuple[str, dict[int, bool]]:
    """The markdown with every placeable formula in place, and which were placed."""
    edits = _Edits()
    placed: dict[int, bool] = {}
    by_ref = {it.ref: it for it in items}
    on_page: dict[int, list[Item]] = {}
    for it in items:
        if it.span and it.bbox and it.page_no is not None:
            on_page.setdefault(it.page_no, []).append(it)
    free = edits.free

    order = sorted(placements, key=lambda p: (not p.display, p.page_no, -p.bbox[3], p.bbox[0]))
    for p in order:
        tag = (r" \tag{" + p.tag + "}") if p.tag else ""
        text = f"$${p.latex}{tag}$$" if p.display else f"${p.latex}$"
        ok = False
        if p.item_ref and by_ref.get(p.item_ref) and by_ref[p.item_ref].span:
            s, e = by_ref[p.item_ref].span
            if free(s, e):
                edits.append((s, e, text))
                ok = True
        elif p.display:
            region = _grow(p.bbox, 2.0)
            covered = [it for it in on_page.get(p.page_no, [])
                       if _area(it.bbox) > 0 and _inter(it.bbox, region) >= 0.6 * _area(it.bbox)
                       and it.label not in ("section_header", "title")]
            covered = [it for it in covered if free(*it.span)]
            if covered:
                covered.sort(key=lambda it: it.span[0])
                first = covered[0]
                edits.append((first.span[0], first.span[1], text))
                for it in covered[1:]:
                    s, e = it.span
                    if markdown.startswith(SEPARATOR, e):
                        e += len(SEPARATOR)
                    elif markdown.endswith(SEPARATOR, 0, s):
                        s -= len(SEPARATOR)
                    if free(s, e):
                        edits.append((s, e, ""))
                ok = True
            else:
                ok = _replace_inside(markdown, p, on_page.get(p.page_no, []), " " + text + " ", edits, free)
        else:
            ok = _replace_inside(markdown, p, on_page.get(p.page_no, []), text, edits, free)
        placed[p.index] = ok
    pieces, cursor = [], 0
    for s, e, text in sorted(edits, key=lambda x: x[0]):  # one pass, not a copy of the text per edit
        pieces += [markdown[cursor:s], text]
        cursor = e
    return "".join(pieces) + markdown[cursor:], placed


def _replace_inside(markdown: str, p: Placement, page_items: list[Item], text: str, edits, free) -> bool:
    pattern = source_pattern(p.source)
    if pattern is None:
        return False
    region = _grow(p.bbox, 1.5)
    holders = sorted((it for it in page_items if _inter(it.bbox, region) > 0), key=lambda it: it.span[0])
    for it in holders:
        s, e = it.span
        m = pattern.search(markdown, max(s, it.cursor), e)
        if m and free(m.start(), m.end()):
            edits.append((m.start(), m.end(), text))
            it.cursor = m.end()
            return True
    return False
