"""Polytonic marks folded to monotonic, for a document written in monotonic Greek.

OCR with polytonic language data (and the modern Greek data too, which was trained on some) reads
a diaeresis or a tonos as a breathing or a circumflex (`Ὑποστήριξης`, `εἰδικότητα`, `προὐπηρεσία`,
`προῦπολογισμού`). A document is monotonic when its text layer is, or when the OCR's own text has
few polytonic letters (POLYTONIC_SHARE of its Greek letters: a polytonic text has one in three or
four); a polytonic document keeps every mark.

Folding a word: breathings and the iota subscript go, the grave and the circumflex become the
tonos; where the word has a lexicon, the reading that is a word wins among these and a diaeresis
for a mark on ι or υ after a vowel (`προϋπηρεσία`), and no accent at all."""
from __future__ import annotations

import itertools
import re
import unicodedata

from .chars import COMBINING, GREEK, GREEK_CHAR, POLYTONIC, POLYTONIC_CHAR

POLYTONIC_SHARE = 0.05  # polytonic letters / Greek letters at which a text is polytonic
_POLYTONIC = POLYTONIC_CHAR
_GREEK = GREEK_CHAR
_WORD_WITH_POLYTONIC = re.compile(f"[{GREEK}{COMBINING}]*[{POLYTONIC}][{GREEK}{COMBINING}]*")
_BREATHINGS, _IOTA_SUBSCRIPT = "\u0313\u0314", "\u0345"
_GRAVE, _ACUTE, _CIRCUMFLEX, _DIAERESIS = "\u0300", "\u0301", "\u0342", "\u0308"
_VOWELS = set("αεηιουωΑΕΗΙΟΥΩ")
MAX_READINGS = 32


def polytonic_share(text: str) -> float:
    greek = len(_GREEK.findall(text))
    return len(_POLYTONIC.findall(text)) / greek if greek else 0.0


def is_polytonic(text: str, min_greek: int = 0) -> bool:
    """POLYTONIC_SHARE of the Greek letters are polytonic (and there are min_greek of them)."""
    greek = len(_GREEK.findall(text))
    return greek >= max(min_greek, 1) and len(_POLYTONIC.findall(text)) >= POLYTONIC_SHARE * greek


def _letters(word: str) -> list[tuple[str, str]]:
    """(base letter, its marks) of a word."""
    out: list[tuple[str, str]] = []
    for ch in unicodedata.normalize("NFD", word):
        if unicodedata.combining(ch) and out:
            out[-1] = (out[-1][0], out[-1][1] + ch)
        else:
            out.append((ch, ""))
    return out


def _options(letters: list[tuple[str, str]], i: int) -> list[str]:
    """The monotonic marks letter i may have, the default first."""
    base, marks = letters[i]
    kept = "".join(m for m in marks if m in (_ACUTE, _DIAERESIS))
    polytonic = any(m in marks for m in (_GRAVE, _CIRCUMFLEX, *_BREATHINGS, _IOTA_SUBSCRIPT))
    if not polytonic:
        return [kept]
    accent = _ACUTE if any(m in marks for m in (_GRAVE, _CIRCUMFLEX, _ACUTE)) else ""
    diaeresis = _DIAERESIS if _DIAERESIS in marks else ""
    default = diaeresis + accent
    options = [default]
    after_vowel = i > 0 and letters[i - 1][0] in _VOWELS
    if base in "ιυΙΥ" and after_vowel and not diaeresis:
        options += [_DIAERESIS, _DIAERESIS + _ACUTE] if accent else [_DIAERESIS]
    options += [o for o in (diaeresis, diaeresis + _ACUTE) if o not in options]
    return options


def _build(letters: list[tuple[str, str]], marks: dict[int, str]) -> str:
    return unicodedata.normalize("NFC", "".join(b + marks.get(i, m) for i, (b, m) in enumerate(letters)))


def fold_word(word: str, lexicon=None) -> str:
    letters = _letters(word)
    choices = {i: _options(letters, i) for i in range(len(letters)) if letters[i][1]}
    default = _build(letters, {i: o[0] for i, o in choices.items()})
    if lexicon is None or lexicon.known(default):
        return default
    varied = [i for i, o in choices.items() if len(o) > 1]
    for count, combo in enumerate(itertools.product(*(choices[i] for i in varied))):
        if count >= MAX_READINGS:
            break
        reading = _build(letters, {**{i: o[0] for i, o in choices.items()}, **dict(zip(varied, combo))})
        if lexicon.known(reading):
            return reading
    return default


def fold_polytonic(text: str, lexicon=None) -> str:
    """text with every word that has a polytonic letter written in monotonic Greek."""
    if not _POLYTONIC.search(text):
        return text
    return _WORD_WITH_POLYTONIC.sub(lambda m: fold_word(m.group(0), lexicon), text)
