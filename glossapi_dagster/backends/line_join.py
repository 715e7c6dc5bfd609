"""Joining the lines of a paragraph into one text, rejoining a word hyphenated at the line end:
the safe backend's text-layer lines and the OCR engines' lines both go through here.

The hyphen characters are chosen by cause. A word broken at a line end is printed with the
hyphen-minus (most fonts and every OCR engine), the soft hyphen U+00AD (a text layer keeps the
discretionary hyphen where the word broke) or U+2010 HYPHEN (typeset text): any of them after a
letter, before a small letter, is a hyphenation, and the word is whole without it. A compound's
hyphen at the line end (a small letter, then a capital: `Έρευνας-` / `Πληροφορικής`) belongs to
the word and stays, with no blank; a soft hyphen is never a compound's (it is only shown at a
break), so that rule takes the visible hyphens only.
"""
from __future__ import annotations

HYPHENS = ("-", "\u00ad", "\u2010")  # a word broken at the line end
COMPOUND_HYPHENS = ("-", "\u2010")   # visible hyphens: a compound's at the line end stays


def join_pair(left: str, right: str) -> str:
    """Two consecutive lines of a paragraph as one text."""
    if not left:
        return right
    if left.endswith(HYPHENS) and len(left) > 1 and left[-2].isalpha() and right[:1].islower():
        return left[:-1] + right                  # "exam-" + "ple" -> "example"
    if left.endswith(COMPOUND_HYPHENS) and len(left) > 1 and left[-2].islower() and right[:1].isupper():
        return left + right                       # a compound: "Έρευνας-" + "Πληροφορικής"
    return f"{left} {right}"


def join_lines(lines: list[str]) -> str:
    """A paragraph's lines (at least one) as one text."""
    if all(lines) and not any(line.endswith(HYPHENS) for line in lines[:-1]):
        return " ".join(lines)  # nothing to rejoin: join_pair's last case for every pair, at C speed
    out = lines[0]
    for nxt in lines[1:]:
        out = join_pair(out, nxt)
    return out
