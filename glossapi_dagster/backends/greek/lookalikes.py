"""Lookalike characters inside Greek words made Greek: ∆ (U+2206 INCREMENT) for Δ, µ (U+00B5
MICRO SIGN) for μ, Latin capitals with Greek twins (TΗΣ, NOMOΣ) for their Greek letters, and the
Latin small o, which no reader tells from omicron (FEK_A_5: `Ηλεκτρονικoύ`, `χoρηγείται`).

Only a word whose other letters are all Greek changes, on a page that is mostly Greek: `Cu2+`,
`H2O`, code, and the math of a German or English text (`Bε(y)`, `πX`) keep their Latin letters."""
from __future__ import annotations

import re

_TWINS = str.maketrans({"A": "Α", "B": "Β", "E": "Ε", "H": "Η", "I": "Ι", "K": "Κ", "M": "Μ", "N": "Ν",
                        "O": "Ο", "P": "Ρ", "T": "Τ", "X": "Χ", "Y": "Υ", "Z": "Ζ",
                        "o": "ο", "\u2206": "Δ", "\u00b5": "μ"})
_GREEK = "\u0370-\u03ff\u1f00-\u1fff"
_LOOK = "ABEHIKMNOPTXYZo\u2206\u00b5"
# a page is looked at word by word only when one of these is there
HINT = re.compile(f"[{_GREEK}][{_LOOK}]|[{_LOOK}][{_GREEK}]|\u2206|\u00b5")
# a whole word: letters (∆ and µ count as letters here), combining accents
_WORD = re.compile("(?:[^\\W\\d_]|[\u2206\u0300-\u036f])+")
_ONLY_GREEK_OR_LOOK = re.compile(f"[{_GREEK}{_LOOK}\u0300-\u036f]+")
_GREEK_LETTER = re.compile(f"[{_GREEK}]")
_LOOK_CHAR = re.compile(f"[{_LOOK}]")
# a capital lookalike after a small letter (πX, αB) is a math variable, not a Greek word
_SMALL_THEN_CAPITAL = re.compile("[a-z\u03ac-\u03ce\u1f00-\u1fff][ABEHIKMNOPTXYZ]")


_MATH_AFTER = frozenset("(_^0123456789")


_NOT_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())


def greek_page(text: str) -> bool:
    """More non-ASCII characters (Greek, on a Greek page) than ASCII letters: lookalikes are Greek
    here. Counted by str.encode and bytes.translate, at C speed: regex runs cost 0.3 ms a page."""
    ascii_part = text.encode("ascii", "ignore")
    return len(text) - len(ascii_part) > len(ascii_part.translate(None, _NOT_LETTERS))


def has_lookalike(text: str) -> bool:
    """A lookalike beside a Greek letter. A Latin capital is rare on a Greek page: one character
    class finds whether there is any at C speed, before the pattern that looks at its neighbours."""
    return _LOOK_CHAR.search(text) is not None and HINT.search(text) is not None


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
    if not has_lookalike(text):
        return text
    return _WORD.sub(_fix, text)
