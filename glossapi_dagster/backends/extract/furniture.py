"""Running headers, footers and page numbers: lines that repeat at the same place on most pages.

A line is furniture when its text, with digits made one (`5632` and `5633` are the same header,
`3 / 21` and `4 / 21` the same footer, words in any order), sits in the top or bottom band of the page on at least REPEAT_SHARE of a document's pages. A document's real headings and the first page's
masthead are not repeated at one place, so they stay in the body. A two-page document repeats
its running header once: there the line must be the same to the letter (digits too: `Άρθρο 5` and
`Άρθρο 6` opening both pages are text) and the outermost line of its band on both pages.

Two things a page's margin holds that need no repetition to be told apart, as Docling's layout
model tells them by their look: a bare page number (a gazette's first page has `7769` alone at
its top, where its other pages have a running header), and a lone glyph of a decoration (the
coat of arms of the gazette's masthead is a letter `E` of an emblem font, many lines tall)."""
from __future__ import annotations

import re
from collections import defaultdict

BAND = 0.12          # top / bottom share of the page height where headers and footers sit
REPEAT_SHARE = 0.5   # ... on this share of the pages
MIN_PAGES = 3        # a shorter document has no running header to speak of
MAX_CHARS = 200

_DIGITS = re.compile(r"\d+")
# a bare page number: `7769`, `- 12 -`, `– 3 –`, and a thesis's front matter in small roman numerals (`vii`)
PAGE_NUMBER = re.compile(r"[-–—]?\s*(?:\d{1,5}|[ivxlc]{1,7})\s*[-–—]?")
# a page number is set in the text's size; redp5110's chapter numeral is 3.4 of its lines
PAGE_NUMBER_LINES = 2.0
# a lone glyph this many times the height of its page's text lines is a decoration: the gazette's
# coat of arms is 8.5 of its lines, the masthead title beside it 4.6
DECORATION_LINES = 6.0
MIN_DECORATION = DECORATION_LINES * 4.0  # points: no page's text lines are under 4 pt tall


def _key(text: str) -> str:
    """Digits made one, words in any order: odd and even pages put the page number and the
    header's parts on opposite sides (`25 ΕΦΗΜΕΡΙΔΑ … Τεύχος Α’` / `Τεύχος Α’ … ΕΦΗΜΕΡΙΔΑ 26`)."""
    return " ".join(sorted(_DIGITS.sub("#", text).lower().split()))


def line_key(text: str) -> str:
    return _key(text)


def find_furniture(lines: list[tuple[int, float, float, float, str]], pages: int,
                   line_counts: list[int] | None = None) -> tuple[dict[int, str], set[tuple[str, str]]]:
    """lines: (page_no, page height, bottom, top, text), boxes with a bottom-left origin, each
    line_counts lines tall (one each when not given).
    Returns index -> "page_header" | "page_footer" for the lines that are furniture, and the
    (label, line_key) of each running header and footer found."""
    groups: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
    exact: dict[str, list[int]] = defaultdict(list)  # a two-page document's: its text to the letter
    numbers = []
    for index, (page_no, height, bottom, top, text) in enumerate(lines):
        if not height or len(text) > MAX_CHARS or not text.strip():
            continue
        in_top, in_bottom = (height - top) / height <= BAND, bottom / height <= BAND
        if in_top or in_bottom:
            # a box over the whole page (pdfium's boxes of some slide footers) says neither
            groups[_key(text)].append((index, None if in_top and in_bottom else
                                       "page_header" if in_top else "page_footer"))
            if pages == 2 and in_top != in_bottom:
                exact[" ".join(text.split())].append(index)
            if len(text) < 16 and top > bottom and PAGE_NUMBER.fullmatch(text.strip()):
                numbers.append(index)
    out = bare_page_numbers(lines, numbers, line_counts) if numbers else {}
    keys: set[tuple[str, str]] = set()
    if pages == 2:
        out.update(_two_page_furniture(lines, exact, line_counts))
    if pages < MIN_PAGES:
        return out, keys
    needed = max(MIN_PAGES, REPEAT_SHARE * pages)
    for key, members in groups.items():
        if len({lines[i][0] for i, _ in members}) < needed:
            continue
        labels = [label for _, label in members if label]
        label = max(set(labels), key=labels.count) if labels else "page_footer"
        out.update({i: own or label for i, own in members})
        keys.add((label, key))
    return out, keys


def _two_page_furniture(lines: list[tuple[int, float, float, float, str]], exact: dict[str, list[int]],
                        line_counts: list[int] | None) -> dict[int, str]:
    """index -> "page_header" | "page_footer" for the lines of a two-page document printed the same
    on both pages, in the same band, each the outermost line of its page there."""
    pairs = [members for members in exact.values() if len({lines[i][0] for i in members}) == 2]
    if not pairs:
        return {}
    pages = _pages({lines[i][0] for members in pairs for i in members},
                   [(p, b, t, text) for p, _, b, t, text in lines], line_counts)
    out: dict[int, str] = {}
    for members in pairs:
        labels = set()
        for i in members:
            page_no, height, bottom, top, _ = lines[i]
            labels.add(_outermost(height, bottom, top, pages[page_no][0]))
        if len(labels) == 1 and None not in labels:
            out.update(dict.fromkeys(members, labels.pop()))
    return out


def bare_page_numbers(lines: list[tuple[int, float, float, float, str]], candidates: list[int],
                      line_counts: list[int] | None = None) -> dict[int, str]:
    """index -> "page_header" | "page_footer" for each of the candidates (lines in the top or
    bottom band that are only a number) that is a page number: alone on its row, with no line of
    its page wholly beyond it toward that edge (a formula's exponents and a table's last row of
    figures have text beside them), in the page's text size (a chapter's numeral is
    PAGE_NUMBER_LINES of its lines or more)."""
    out: dict[int, str] = {}
    pages = _pages({lines[i][0] for i in candidates}, [(p, b, t, text) for p, _, b, t, text in lines], line_counts)
    for i in candidates:
        page_no, height, bottom, top, _ = lines[i]
        boxes, line_height = pages[page_no]
        if top - bottom > PAGE_NUMBER_LINES * line_height:
            continue
        if sum(b < top and t > bottom for b, t in boxes) > 1:  # more than itself on its row
            continue
        label = _outermost(height, bottom, top, boxes)
        if label:
            out[i] = label
    return out


def _outermost(height: float, bottom: float, top: float, boxes: list[tuple[float, float]]) -> str | None:
    """"page_header" for a line in the top band with no line of its page (boxes) wholly above it,
    "page_footer" in the bottom band with none wholly below it; None otherwise."""
    if (height - top) / height <= BAND and all(b < top for b, _ in boxes):
        return "page_header"
    if bottom / height <= BAND and all(t > bottom for _, t in boxes):
        return "page_footer"
    return None


def find_decorations(lines: list[tuple[int, float, float, float, float, str, int]]) -> set[int]:
    """lines: (page_no, left, bottom, right, top, text, line count). The indices of lone glyphs
    (not a digit: a chapter's numeral is a heading) DECORATION_LINES times the height of their
    page's lines, with no text just right of them (a drop cap starts the word beside it)."""
    glyphs = [i for i, (_, _, bottom, _, top, text, _) in enumerate(lines) if top - bottom >= MIN_DECORATION
              and len(text.strip()) == 1 and not text.strip().isdigit()]
    if not glyphs:
        return set()
    pages = _pages({lines[i][0] for i in glyphs}, [(p, b, t, text) for p, _, b, _, t, text, _ in lines],
                   [line[6] for line in lines])
    tall = [i for i in glyphs if lines[i][4] - lines[i][2] >= DECORATION_LINES * pages[lines[i][0]][1]]
    out = set()
    for i in tall:
        page_no, left, bottom, right, top, _, _ = lines[i]
        reach = right + (right - left)
        if not any(j != i and p == page_no and right - 1 <= l <= reach and b < top and t > bottom
                   for j, (p, l, b, _, t, _, _) in enumerate(lines)):
            out.add(i)
    return out


def _pages(wanted: set[int], lines: list[tuple[int, float, float, str]], line_counts: list[int] | None
           ) -> dict[int, tuple[list[tuple[float, float]], float]]:
    """For each wanted page: the (bottom, top) of its lines with text, and the height of its
    text lines, their lower quartile (pdfium runs two lines into one at a soft hyphen, which
    overstates a block's height per line)."""
    boxes: dict[int, list[tuple[float, float]]] = defaultdict(list)
    heights: dict[int, list[float]] = defaultdict(list)
    for index, (page_no, bottom, top, text) in enumerate(lines):
        if page_no in wanted and text.strip():
            boxes[page_no].append((bottom, top))
            heights[page_no].append((top - bottom) / max(line_counts[index] if line_counts else 1, 1))
    out = {}
    for page_no in wanted:
        ranked = sorted(heights[page_no]) or [0.0]
        out[page_no] = boxes[page_no], ranked[len(ranked) // 4]
    return out
