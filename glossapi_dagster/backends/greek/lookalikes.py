"""Lookalike characters inside Greek words made Greek: ∆ (U+2206 INCREMENT) for Δ, µ (U+00B5
MICRO SIGN) for μ, Latin capitals with Greek twins (TΗΣ, NOMOΣ) for their Greek letters, and the
Latin small o, which no reader tells from omicron (FEK_A_5: `Ηλεκτρονικoύ`, `χoρηγείται`).

Only a word whose other letters are all Greek changes: `Cu2+`, `H2O` and code keep their Latin
letters. A word with two Greek letters or more is a Greek word on any page (a Greek running header
over an English page: `ΕΦΗΜΕΡΙ∆Α TΗΣ`); a lone Greek letter beside Latin capitals is Greek only on
a page that is mostly Greek, since elsewhere it is math (`Bε(y)`, `πX`, `Aε`).

The other way, Greek letters inside Latin words made Latin: a writer who switches the keyboard
from Greek to Latin after the first key of a word types its capital in Greek (`Τhe`, `Μg`, with
Τ U+03A4 and Μ U+039C), and an omicron slips into a Latin word the same way (`cοmputer`). A reader
sees the Latin word; a search or a model sees a Greek letter in it. A word changes only when its
Greek letters are all twins of Latin ones (capitals, and ο) and one of its Latin letters has no
Greek twin (h, e, g, m, ...), which no Greek word has: `Το`, `ΤΗΣ`, `ιv)` and `Bε(y)` stay."""
from __future__ import annotations

import re

from .chars import GREEK

_TWINS = str.maketrans({"A": "Α", "B": "Β", "E": "Ε", "H": "Η", "I": "Ι", "K": "Κ", "M": "Μ", "N": "Ν",
                        "O": "Ο", "P": "Ρ", "T": "Τ", "X": "Χ", "Y": "Υ", "Z": "Ζ",
                        "o": "ο", "\u2206": "Δ", "\u00b5": "μ"})
_GREEK = GREEK
_LOOK = "ABEHIKMNOPTXYZo\u2206\u00b5"
# a page is looked at word by word only when one of these is there
HINT = re.compile(f"[{_GREEK}][{_LOOK}]|[{_LOOK}][{_GREEK}]|\u2206|\u00b5")
# a word: letters, with ∆ and µ counted as letters, and combining accents
_LETTER = "(?:[^\\W\\d_]|[\u2206\u0300-\u036f])"


def _greek_or_look_letters() -> str:
    """A character class of the Greek blocks' letters (their signs and punctuation, U+037E and the
    like, end a word as they always did), the lookalikes and the combining accents."""
    chars = [c for c in map(chr, range(0x0370, 0x2000)) if ("\u0370" <= c <= "\u03ff" or c >= "\u1f00")
             and re.fullmatch(_LETTER, c)]
    return "".join(chars) + _LOOK + "\u0300-\u036f"


_RUN = f"[{_greek_or_look_letters()}]"
# a whole word of Greek letters and lookalikes with a lookalike in it: only such a word can change,
# and calling the rule for every word of a page (one Python call a word) was most of its cost
_WORD = re.compile(f"(?<!{_LETTER})(?={_RUN}*?[{_LOOK}]){_RUN}+(?!{_LETTER})")
_ONLY_GREEK_OR_LOOK = re.compile(f"[{_GREEK}{_LOOK}\u0300-\u036f]+")
_GREEK_LETTER = re.compile(f"[{_GREEK}]")
# a capital lookalike after a small letter (πX, αB) is a math variable, not a Greek word
_SMALL_THEN_CAPITAL = re.compile("[a-z\u03ac-\u03ce\u1f00-\u1fff][ABEHIKMNOPTXYZ]")


_MATH_AFTER = frozenset("(_^0123456789")
# the keraia (U+0374, or the tonos U+0384 set for it) after capitals makes them a Greek numeral
# (`Α΄`, `ΙΒ΄`): Latin capitals before it are its letters set in a Latin font, whatever the page
_KERAIA = frozenset("\u0374\u0384")


_NOT_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())


def greek_page(text: str) -> bool:
    """More non-ASCII characters (Greek, on a Greek page) than ASCII letters: lookalikes are Greek
    here. Counted by str.encode and bytes.translate, at C speed: regex runs cost 0.3 ms a page."""
    ascii_part = text.encode("ascii", "ignore")
    return len(text) - len(ascii_part) > len(ascii_part.translate(None, _NOT_LETTERS))


# HINT anchored at its lookalike (every alternative holds one): the regex engine skips to a
# lookalike at C speed, where HINT's alternatives were tried at every character (a page: 15 us
# against 3); a Greek letter before the lookalike is looked behind at
_HINT_AT_LOOK = re.compile(f"[{_LOOK}](?:(?<=[\u2206\u00b5])|(?<=[{_GREEK}].)|[{_GREEK}])", re.DOTALL)


def _greek_hint(text: str) -> bool:
    """HINT.search(text) is not None, faster: a lookalike beside a Greek letter."""
    return _HINT_AT_LOOK.search(text) is not None


def lookalike_hints(text: str) -> list[int]:
    """Where has_lookalike finds a hint in text: the start of each (non-overlapping) match."""
    return [m.start() for m in _HINT_AT_LOOK.finditer(text)] + [m.start() for m in LATIN_HINT.finditer(text)]


def has_lookalike(text: str) -> bool:
    """A lookalike beside a Greek letter, or a Greek twin before a Latin letter (LATIN_HINT)."""
    return _greek_hint(text) or LATIN_HINT.search(text) is not None


def _fixer(greek: bool):
    needed = 1 if greek else 2  # Greek letters a word needs to be read as Greek

    def fix(m: re.Match) -> str:
        word = m.group(0)
        after = m.string[m.end():m.end() + 1]
        if after in _MATH_AFTER:  # '' (the end) is not in a frozenset
            return word  # Bε(y), Aλ_1: a function or an indexed variable
        numeral = word.rstrip("\u0374")  # U+0374 is a letter to Python: it ends the word's run
        if ((after in _KERAIA or numeral != word) and numeral.isupper()
                and _ONLY_GREEK_OR_LOOK.fullmatch(word)):
            return word.translate(_TWINS)
        if (_ONLY_GREEK_OR_LOOK.fullmatch(word) and len(_GREEK_LETTER.findall(word)) >= needed
                and not _SMALL_THEN_CAPITAL.search(word)):
            return word.translate(_TWINS)
        return word

    return fix


_FIX = {True: _fixer(True), False: _fixer(False)}

_GREEK_TWINS = "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧο"
_TO_LATIN = str.maketrans(_GREEK_TWINS, "ABEZHIKMNOPTYXo")
# a Greek twin before a Latin letter: the start of a Latin word typed with its first key in Greek,
# or an omicron inside one (one character class pair: ~20 µs on a page of Greek)
LATIN_HINT = re.compile(f"[{_GREEK_TWINS}][A-Za-z]")
_LATIN_OR_TWIN_WORD = re.compile(f"(?<!{_LETTER})(?=[A-Za-z]*[{_GREEK_TWINS}])[A-Za-z{_GREEK_TWINS}]+(?!{_LETTER})")
_LATIN_ONLY = re.compile("[a-np-zCDFGJLQRSUVW]")  # Latin letters no Greek letter looks like


def _latin_word(m: re.Match) -> str:
    word = m.group(0)
    return word.translate(_TO_LATIN) if _LATIN_ONLY.search(word) else word


def fix_lookalikes(text: str, greek: bool = True) -> str:
    """text with its lookalike-in-Greek words made Greek, then its Latin words with Greek twins in
    them made Latin (unchanged, cheaply, when none). greek:
    the page is mostly Greek (greek_page), where a word with one Greek letter is Greek too."""
    if _greek_hint(text):
        text = _WORD.sub(_FIX[bool(greek)], text)
    if LATIN_HINT.search(text) is not None:
        text = _LATIN_OR_TWIN_WORD.sub(_latin_word, text)
    return text
