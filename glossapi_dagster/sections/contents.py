"""Is a section a table of contents? Its entries end in page numbers that go up.

A contents page (or a list of figures, of tables) is a list of titles, each followed by the page
it starts on: the numbers at the ends of its entries run in order (i, ii, ... then 1, 2, ...),
a dot leader often between title and number. A table of data may end its rows in numbers too,
but they do not climb page by page through a long run. The rule, as GlossAPI's index detection
states it: a run of at least 7 page numbers that never go down (up to 4 equal in a row: several
titles on one page); or, when nearly every line is an entry, at least 4 that never go down.
Docling writes contents pages as markdown tables as often as lines, so both are read.
"""
from __future__ import annotations

import re

DOT_LEADER = re.compile(r"(?:[.\u2026·_\-]\s?){3,}")
# the page number an entry ends with: arabic (GlossAPI: below 400), a range's first page, or a
# small roman numeral of the front matter
PAGE_AT_END = re.compile(r"(?:^|[\s.|,:])(\d{1,3}|[ivxlc]{1,7})(?:\s*[-–]\s*\d{1,3})?\s*\|?\s*$", re.I)
LETTER = re.compile(r"[^\W\d_]")
ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
MIN_RUN, MIN_RUN_ALL_ENTRIES, MAX_EQUAL = 7, 4, 4
PAGE_END = set("0123456789ivxlcIVXLC")


def roman(text: str) -> int | None:
    text = text.lower()
    if not text or any(c not in ROMAN for c in text):
        return None
    total = 0
    for a, b in zip(text, text[1:] + " "):
        total += -ROMAN[a] if b in ROMAN and ROMAN[b] > ROMAN[a] else ROMAN[a]
    return total if 0 < total < 40 else None


def page_ref(line: str) -> int | None:
    """The page number a contents entry ends with, or None. A roman page counts before page 1
    (the front matter comes first). The entry needs a title: letters in the first half."""
    tail = line.rstrip().rstrip("|").rstrip()
    if not tail or tail[-1] not in PAGE_END:  # cheap: most lines of prose end in a letter or a stop
        return None
    text = " ".join(line.strip().strip("|").replace("|", " ").split())
    text = DOT_LEADER.sub(" ", text)
    match = PAGE_AT_END.search(text)
    if not match or not LETTER.search(text[:max(1, len(text) // 2)]):
        return None
    token = match.group(1)
    if token.isdigit():
        value = int(token)
        return value if value < 400 else None
    value = roman(token)
    return None if value is None else value - 1000


def _longest_run(numbers: list[int]) -> int:
    best = run = 1 if numbers else 0
    equal = 1
    for a, b in zip(numbers, numbers[1:]):
        if b > a:
            run, equal = run + 1, 1
        elif b == a and equal < MAX_EQUAL:
            run, equal = run + 1, equal + 1
        else:
            run, equal = 1, 1
        best = max(best, run)
    return best


def looks_like_contents(text: str, min_share: float = 0.0) -> tuple[bool, str]:
    """(is it a contents list, how it was decided: dot_leaders or page_numbers). min_share: the
    share of its lines that must be entries (GlossAPI's rule: none; it looks only near the start)."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    numbers = []
    for k, line in enumerate(lines):
        ref = page_ref(line)
        if ref is not None:
            numbers.append(ref)
        if min_share and len(numbers) + len(lines) - k - 1 < min_share * len(lines):
            return False, "page_numbers"  # too few entries left to read for the share asked
    if not lines:
        return False, "page_numbers"
    run = _longest_run(numbers)
    leaders = sum(1 for line in lines if DOT_LEADER.search(line))
    how = "dot_leaders" if leaders >= 3 else "page_numbers"
    if run >= MIN_RUN:
        return True, how
    if lines and len(numbers) >= MIN_RUN_ALL_ENTRIES and len(numbers) >= len(lines) - 1 and run == len(numbers):
        return True, how
    return False, how
