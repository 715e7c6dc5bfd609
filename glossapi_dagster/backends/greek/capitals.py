"""Greek words in capitals read as capitals: no tonos inside them, no small letters among them.

Greek written in capitals carries no tonos (a diaeresis stays: ΠΡΩΤΕΪΝΗ); a tonos on a capital
only starts a capitalised word (Άρθρο), and a word has one accent at most. Two causes break this:
- a small-caps font whose glyphs map to the accented capitals or the small letters they were made
  from (`ΠΈΡΊΈΧΌμΈΝΆ` for ΠΕΡΙΕΧΟΜΕΝΑ, `ΑΛΓΌΡΊϑμΏΝ`): an accented capital inside a word, or a small
  letter between capitals, says the word is in capitals;
- OCR reading an accent into a capital that starts a word already accented (`Ύπουργών`).
Such words are written again as capitals without tonos (diaeresis kept), or lose the capital's
extra tonos. Words in lower case, in title case with one accent, and all-capital words without
accents do not change."""
from __future__ import annotations

import re
import unicodedata

from .chars import MONOTONIC

_ACCENTED_CAPITALS = "\u0386\u0388\u0389\u038a\u038c\u038e\u038f"  # Ά Έ Ή Ί Ό Ύ Ώ
_GREEK_WORD = re.compile(f"[{MONOTONIC}]{{2,}}")
# a page needs the word-by-word look only when one of these is in it
HINT = re.compile(f"[{MONOTONIC}][{_ACCENTED_CAPITALS}]|[\u0391-\u03a9][\u03b1-\u03c9\u03d1\u03d5][\u0391-\u03a9]"
                  f"|[{_ACCENTED_CAPITALS}][{MONOTONIC}]*[\u03ac-\u03af\u03cc-\u03ce]")
# HINT as two searches that each start at one character class: the regex engine skips to such a
# character at C speed, where HINT's three alternatives are tried at every character of the text
# (16 us a paragraph, most of the text layer's Greek repairs). Its first and third alternatives
# hold an accented capital (anchored there; the first's Greek letter before it looked behind at);
# the second starts at a capital.
_HINT_AT_ACCENTED = re.compile(f"[{_ACCENTED_CAPITALS}](?:(?<=[{MONOTONIC}].)|[{MONOTONIC}]*[\u03ac-\u03af\u03cc-\u03ce])",
                               re.DOTALL)
_HINT_AT_CAPITAL = re.compile("[\u0391-\u03a9][\u03b1-\u03c9\u03d1\u03d5][\u0391-\u03a9]")
_INNER_ACCENTED_CAPITAL = re.compile(f"(?<=[{MONOTONIC}])[{_ACCENTED_CAPITALS}]")
_SMALL_AMONG_CAPITALS = re.compile("[\u0391-\u03a9][\u03b1-\u03c9\u03d1\u03d5\u03ac-\u03ce]+[\u0391-\u03a9\u0386-\u038f]")
_ACCENTS = re.compile("[\u0386\u0388-\u038f\u03ac-\u03af\u03cc-\u03ce\u0390\u03b0]")
# the symbol forms a small-caps font may map its capitals to
_SYMBOL_FORMS = str.maketrans({"\u03d1": "Θ", "\u03d5": "Φ", "\u03d0": "Β", "\u03f0": "Κ", "\u03f1": "Ρ", "\u03c2": "Σ"})


def has_capitals_hint(text: str) -> bool:
    """HINT.search(text) is not None, faster."""
    return _HINT_AT_ACCENTED.search(text) is not None or _HINT_AT_CAPITAL.search(text) is not None


def capitals_hints(text: str) -> list[int]:
    """Where has_capitals_hint finds a hint in text: the start of each (non-overlapping) match."""
    return [m.start() for m in _HINT_AT_ACCENTED.finditer(text)] + [m.start() for m in _HINT_AT_CAPITAL.finditer(text)]


def _capitals(word: str) -> str:
    """The word in capitals, tonos dropped, diaeresis kept (Ϊ, Ϋ)."""
    decomposed = unicodedata.normalize("NFD", word.translate(_SYMBOL_FORMS).upper())
    return unicodedata.normalize("NFC", decomposed.replace("\u0301", ""))


def _fix(m: re.Match) -> str:
    word = m.group(0)
    capitals = sum(1 for c in word if c.isupper())
    if _INNER_ACCENTED_CAPITAL.search(word) or (capitals >= 3 and 2 * capitals >= len(word)
                                                 and _SMALL_AMONG_CAPITALS.search(word)):
        return _capitals(word)  # a word in capitals, from a small-caps font
    if word[0] in _ACCENTED_CAPITALS and _ACCENTS.search(word, 1):  # two accents: the capital's is not one
        return _capitals(word[0]) + word[1:]
    return word


def fix_capitals(text: str) -> str:
    """text with its Greek words in capitals written as capitals (unchanged, cheaply, when none)."""
    if not has_capitals_hint(text):
        return text
    return _GREEK_WORD.sub(_fix, text)
