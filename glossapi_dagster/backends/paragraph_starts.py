"""Where a paragraph or a list item starts among lines that are one size and evenly spaced.

Spacing marks most paragraphs, but a list typed with no space between its items, a paragraph
that follows a list, and text set with a first-line indent and no spacing (LaTeX's default) show
their starts only at the ends and beginnings of lines. Joining them ran a list's items and the
next paragraph into one (`• Right: 2.5 cm. Σε όλη τη διπλωματική ...`). A new one starts where:
- a line begins with a bullet (•, ▪, ◦, ➢, ...): no sentence goes on with one;
- a line begins with an enumerator (`α)`, `(β)`, `1.`, `2)`, `iv)`, a dash and a space) and the
  line before ended a sentence or a clause (`.`, `:`, `;`, `·`, `,`; a dash not after a comma,
  where it opens a parenthesis): a wrapped line that starts with a number (`άρθρο` / `12. Η`)
  follows a line that ends in a word;
- the line before ended a sentence short of the column's right edge (a paragraph's last line),
  and this one begins with a capital;
- this line is indented and the line before, not indented, ended a sentence (a first-line indent;
  a hanging indent's lines follow a line that ends mid-sentence).
Centred lines (a title over two lines) are all short and indented: only bullets and enumerators
start one there.
A sentence that ends short of the edge in ragged-right text, just before a long word, splits a
paragraph in two: a blank line a reader hardly notices, where the alternative runs a list into
a paragraph. Used by the safe backend's blocks, Docling's native lines and OCR's rows.

The other way, a paragraph goes on across a column (goes_on): a block at the top of a column that
begins in lower case continues the block that ended the column before mid-sentence, and a word
hyphenated there is whole again (`Θεσσαλο-` / `νίκης`). Across pages the same rule joins the
markdown's paragraphs (page_joins.py), the items staying on their pages."""
from __future__ import annotations

import re

_BULLETS = "•●▪■◦○‣⁃□➢►▸✓❖◆◇"
_BULLET = re.compile(f"[{_BULLETS}]")
# `α)`, `(β)`, `1.`, `12)`, `(3)`, `iv)`, `ii.`, a dash: then a space
_ENUMERATOR = re.compile(r"(?:\(?(?:\d{1,2}|[α-ωa-z]|[ivx]{1,4})\)|\d{1,2}\.|[ivx]{1,4}\.|[–—\u00ad-])\s")
# `;` is also Greek's question mark; a text layer may write it U+037E and the ano teleia U+0387
# (their canonical forms are `;` and `·`, but the lines are read before the Unicode clean)
_SENTENCE_END = tuple(".:;·!?…»\"”\u037e\u0387")
_CLAUSE_END = _SENTENCE_END + (",",)
_CLAUSE_ENDS = "".join(_CLAUSE_END)  # for one character: a test in a string, not a tuple's items one by one
# a paragraph stopped mid-sentence ends in a word (two letters or more: not a formula's variable),
# a word and its number, a word broken with a hyphen, or a comma; the text that goes on starts
# with a word
_ENDS_IN_WORD = re.compile(r"[^\W\d_]{2}(?: [0-9]{1,4})?[-\u00ad\u2010,]?$")  # `άρθρο 28` too
_STARTS_WITH_WORD = re.compile(r"[«\"“'(‘]?[^\W\d_]{2}")
SHORT_LINE = 0.8   # a line ending before this share of its column's width ends short
INDENT = 0.8       # of the font size: a line starting this far right of its column is indented


def starts_item(previous: str, line: str) -> bool:
    """Whether line begins a list item (a bullet, or an enumerator after a sentence or clause)."""
    if not line:
        return False
    if _BULLET.match(line):
        return True
    if not previous.endswith(_CLAUSE_END) or (m := _ENUMERATOR.match(line)) is None:
        return False
    # a dash after a comma opens a parenthesis (`η απόφαση,` / `– όπως ισχύει –`), not an item
    return not (m.group(0)[0] in "–—\u00ad-" and previous.endswith(","))


def starts_paragraph(previous: str, line: str, previous_short: bool, indented: bool) -> bool:
    """Whether line (just below previous, one size, one column) starts a paragraph or list item.
    previous_short: the line before ends short of the column's right edge (SHORT_LINE); indented:
    this line starts INDENT right of the column and the line before does not."""
    if starts_item(previous, line):
        return True
    if not previous.endswith(_SENTENCE_END):
        return False
    return indented or (previous_short and _starts_with_capital(line))


def goes_on(previous: str, text: str) -> bool:
    """Whether text, first at the top of a column or page, goes on with the paragraph that ended
    the one before (previous): that one stopped mid-sentence (in a word, a word broken with a
    hyphen, or a comma) and text begins with a word in lower case, not as a list item (`β) ...`).
    A formula's pieces (`x`, `y`, `2`) are no words: they stay apart."""
    return (_ENDS_IN_WORD.search(previous) is not None and _STARTS_WITH_WORD.match(text) is not None
            and text.lstrip("«\"“'(‘")[:1].islower() and not starts_item(previous, text))


def goes_on_in_next_column(previous: str, text: str, same_page: bool, top: float, last_foot: float,
                           same_size: bool) -> bool:
    """Whether a block (text; its top) goes on with the paragraph before it in reading order
    (previous; the foot of its last line) across a column break: on the same page, starting above
    that foot (the next column's top: below it, spacing already said it is another paragraph), in
    one size, the text going on (goes_on). Not across pages: a page's items stay on it (OCR
    replaces them; a long document's ranges are converted apart): page_joins joins the markdown."""
    return same_page and top > last_foot and same_size and goes_on(previous, text)


def _starts_with_capital(line: str) -> bool:
    first = line.lstrip("«\"“'(‘[")[:1]
    return first.isupper()


def split_at_starts(lines: list[str], boxes: list, size: float, left: int = 0, right: int = 1) -> list[int]:
    """Indices of the lines (after the first) that start a paragraph or item, in a run of lines
    joined by their spacing; boxes: each line's, with its left and right edges at the indices
    `left` and `right` (a (left, right) pair by default), the run's column their union."""
    candidates = [i for i, (before, line) in enumerate(zip(lines, lines[1:]), 1) if line and before
                  and (line[0] in _BULLETS or before[-1] in _CLAUSE_ENDS)]
    if not candidates:  # most runs: no bullet, no line after a sentence's end (two index reads a line)
        return []
    lefts, rights = [b[left] for b in boxes], [b[right] for b in boxes]
    x0, x1 = min(lefts), max(rights)
    short_before = x0 + SHORT_LINE * (x1 - x0)
    indent = x0 + INDENT * size
    middle = (x0 + x1) / 2
    # centred lines (a title over two lines) are all short and indented: only items start there
    by_edges = not (max(lefts) - x0 > size and all(abs((a + b) / 2 - middle) <= size for a, b in zip(lefts, rights)))
    cuts = []
    for i in candidates:
        short = by_edges and rights[i - 1] < short_before
        indented = by_edges and lefts[i] >= indent > lefts[i - 1]
        if starts_paragraph(lines[i - 1], lines[i], short, indented):
            cuts.append(i)
    return cuts
