"""Lookalike characters inside Greek words made Greek: ∆ (U+2206 INCREMENT) for Δ, µ (U+00B5
MICRO SIGN) for μ, Latin capitals with Greek twins (TΗΣ, NOMOΣ) for their Greek letters.

Only a word whose other letters are all Greek changes, on a page that is mostly Greek: `Cu2+`,
`H2O`, code, and the math of a German or English text (`Bε(y)`, `πX`) keep their Latin letters."""
from __future__ import annotations

import re

_TWINS = str.maketrans({"A": "Α", "B": "Β", "E": "Ε", "H": "Η", "I": "Ι", "K": "Κ", "M": "Μ", "N": "Ν",
                        "O": "Ο", "P": "Ρ", "T": "Τ", "X": "Χ", "Y": "Υ", "Z": "Ζ",
                        "\u2206": "Δ", "\u00b5": "μ"})
_GREEK = "\u0370-\u03ff\u1f00-\u1fff"
_LOOK = "ABEHIKMNOPTXYZ\u2206\u00b5"
# a page is looked at word by word only when one of these is there
HINT = re.compile(f"[{_GREEK}][{_LOOK}]|[{_LOOK}][{_GREEK}]|\u2206|\u00b5")
# a whole word: letters (∆ and µ count as letters here), combining accents
_WORD = re.compile(f"(?:[^\\W\\d_]|[\u2206\u0300-\u036f])+")
_ONLY_GREEK_OR_LOOK = re.compile(f"[{_GREEK}{_LOOK}\u0300-\u036f]+")
_GREEK_LETTER = re.compile(f"[{_GREEK}]")
_GREEK_RUN = re.compile(f"[{_GREEK}]+")
_LATIN_RUN = re.compile(r"[A-Za-z]+")
# a capital lookalike after a small letter (πX, αB) is a math variable, not a Greek word
_SMALL_THEN_CAPITAL = re.compile("[a-z\u03ac-\u03ce\u1f00-\u1fff][ABEHIKMNOPTXYZ]")


_MATH_AFTER = frozenset("(_^0123456789")


def greek_page(text: str) -> bool:
    """More Greek words than Latin ones: lookalikes are Greek here (runs, not letters: a tenth
    of the matches to build)."""
    return len(_GREEK_RUN.findall(text)) > len(_LATIN_RUN.findall(text))


def _fix(m: re.Match) -> str:
    word = m.group(0)
    if m.string[m.end():m.end() + 1] in _MATH_AFTER:  # '' (the end) is not in a frozenset
        return word  # Bε(y), Aλ_1: a function or an indexed variable
    if (_ONLY_GREEK_OR_LOOK.fullmatch(word) and _GREEK_LETTER.search(word)
            and not _SMALL_THEN_CAPITAL.search(word)):
        return word.translate(_TWINS)
    return word


def fix_lookalikes(text: str) -> str:
    """text with its lookalike-in-Greek words made Greek (unchanged, cheaply, when none). The
    caller decides the page is Greek (greek_page)."""
    if not HINT.search(text):
        return text
    return _WORD.sub(_fix, text)
