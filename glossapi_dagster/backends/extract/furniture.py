"""Running headers, footers and page numbers: lines that repeat at the same place on most pages.

A line is furniture when its text, with digits made one (`5632` and `5633` are the same header,
`3 / 21` and `4 / 21` the same footer, words in any order), sits in the top or bottom band of the page on at least REPEAT_SHARE of a document's pages. A document's real headings and the first page's
masthead are not repeated at one place, so they stay in the body."""
from __future__ import annotations

import re
from collections import defaultdict

BAND = 0.12          # top / bottom share of the page height where headers and footers sit
REPEAT_SHARE = 0.5   # ... on this share of the pages
MIN_PAGES = 3        # a shorter document has no running header to speak of
MAX_CHARS = 200

_DIGITS = re.compile(r"\d+")


def _key(text: str) -> str:
    """Digits made one, words in any order: odd and even pages put the page number and the
    header's parts on opposite sides (`25 ΕΦΗΜΕΡΙΔΑ … Τεύχος Α’` / `Τεύχος Α’ … ΕΦΗΜΕΡΙΔΑ 26`)."""
    return " ".join(sorted(_DIGITS.sub("#", text).lower().split()))


def line_key(text: str) -> str:
    return _key(text)


def find_furniture(lines: list[tuple[int, float, float, float, str]], pages: int
                   ) -> tuple[dict[int, str], set[tuple[str, str]]]:
    """lines: (page_no, page height, bottom, top, text), boxes with a bottom-left origin.
    Returns index -> "page_header" | "page_footer" for the lines that are furniture, and the
    (label, line_key) of each running header and footer found."""
    if pages < MIN_PAGES:
        return {}, set()
    groups: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
    for index, (page_no, height, bottom, top, text) in enumerate(lines):
        if not height or len(text) > MAX_CHARS or not text.strip():
            continue
        in_top, in_bottom = (height - top) / height <= BAND, bottom / height <= BAND
        if in_top or in_bottom:
            # a box over the whole page (pdfium's boxes of some slide footers) says neither
            groups[_key(text)].append((index, None if in_top and in_bottom else
                                       "page_header" if in_top else "page_footer"))
    out: dict[int, str] = {}
    keys: set[tuple[str, str]] = set()
    needed = max(MIN_PAGES, REPEAT_SHARE * pages)
    for key, members in groups.items():
        if len({lines[i][0] for i, _ in members}) < needed:
            continue
        labels = [label for _, label in members if label]
        label = max(set(labels), key=labels.count) if labels else "page_footer"
        out.update({i: own or label for i, own in members})
        keys.add((label, key))
    return out, keys
