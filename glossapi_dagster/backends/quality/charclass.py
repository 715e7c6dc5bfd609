"""Counting character classes of a whole document at C speed.

Triage and the text statistics count Greek, Latin, polytonic, "letter" and out-of-range
characters over every document; regex findall builds a list of one-character strings per match
and cost more than the safe backend's whole extraction. Here each code point is looked up in a
table of class bits with numpy, and the rare code points beyond the BMP are classified one by one.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from ..greek import chars

NONSPACE, GREEK, LATIN, POLYTONIC, BAD, LETTER = 1, 2, 4, 8, 16, 32

# Ranges a real text of this corpus is written in (besides ASCII and whitespace).
ALLOWED = (
    (0x00A0, 0x024F),  # Latin-1, Latin Extended-A/B
    (0x0300, 0x036F),  # combining diacritics
    (0x0370, 0x03FF), (0x1F00, 0x1FFF),  # Greek, polytonic Greek
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x2000, 0x20CF),  # punctuation, super/subscripts, currency
    (0x2100, 0x23FF),  # letterlike, number forms, arrows, math operators, technical
    (0x2500, 0x25FF),  # box drawing, geometric shapes (bullets)
    (0x27C0, 0x27EF), (0x2980, 0x2AFF),  # mathematical symbols
    (0xFB00, 0xFB06),  # ligatures
    (0x1D400, 0x1D7FF),  # mathematical alphanumerics
)
_RANGES = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in ALLOWED)

# One pattern per class bit; the table is built from these, so the regexes stay the definition.
PATTERNS = {
    NONSPACE: re.compile(r"\S"),
    GREEK: chars.GREEK_CHAR,
    LATIN: re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF]"),
    POLYTONIC: chars.POLYTONIC_CHAR,
    BAD: re.compile(f"[^\\s\x00-\x7f{_RANGES}]"),
    LETTER: re.compile(r"[^\W\d_]"),
}


@lru_cache(maxsize=1)
def _bmp_table() -> np.ndarray:
    """Each BMP code point's class bits, by the patterns. Every process builds it once (each
    worker triages): each pattern's matches are made NUL by one re.sub at C speed and found with
    numpy, where a match object a character cost 0.15-0.3 s a process."""
    points = np.arange(0x10000, dtype=np.uint32)
    points[0xD800:0xE000] = ord(" ")  # lone surrogates cannot be in a str: classed below
    chars = points.tobytes().decode("utf-32-le")
    table = np.zeros(0x10000, dtype=np.uint8)
    for bit, pattern in PATTERNS.items():
        marked = pattern.sub("\x00", chars)
        assert len(marked) == len(chars), "a class pattern matches one character"
        matched = np.frombuffer(marked.encode("utf-32-le"), dtype=np.uint32) == 0
        matched[0] = pattern.match(chars) is not None  # U+0000 itself: NUL whether it matched or not
        table[matched] |= bit
    table[0xD800:0xE000] = NONSPACE | BAD  # lone surrogates: not text
    return table


def _bits(ch: str) -> int:
    return sum(bit for bit, pattern in PATTERNS.items() if pattern.match(ch))


_last: tuple[str, dict[int, int]] | None = None  # the text and counts of the latest call


def count_classes(text: str) -> dict[int, int]:
    """How many characters of text fall in each class bit. A document's markdown is counted for
    its statistics and again by triage: the second call on the same string is free."""
    global _last
    if _last is not None and _last[0] is text:
        return dict(_last[1])
    if not text:
        return dict.fromkeys(PATTERNS, 0)
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    astral = points >= 0x10000
    bits = _bmp_table()[np.where(astral, 0, points).astype(np.uint16)]
    counts = {bit: int(np.count_nonzero(bits & bit)) for bit in PATTERNS}
    if astral.any():  # rare: each distinct code point once, by the patterns themselves
        zero_bits = int(_bmp_table()[0])
        values, times = np.unique(points[astral], return_counts=True)
        for cp, n in zip(values.tolist(), times.tolist()):
            extra = _bits(chr(cp))
            for bit in PATTERNS:
                counts[bit] += n * (bool(extra & bit) - bool(zero_bits & bit))
    _last = (text, counts)
    return dict(counts)
