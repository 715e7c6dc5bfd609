"""Greek words glued together where OCR dropped the space between them (`μετην`, `καιτου`,
`κατάτην`, `αξιωματικοίτων`, `Οιαρμοδιότητεςπου`).

Tight justified setting leaves a function word (an article, a preposition, a conjunction, a weak
pronoun) so close to its neighbour that OCR reads one word. A token is split in two when:
- it is no word of the lexicon, not even with other accents (`οδος` is οδός misread, never ο δος);
- one part is a function word and the other a word of the lexicon, or a token split again the
  same way (three words glued: `Οιαρμοδιότητεςπου`);
- of the splits that qualify, the one whose function word is longest (`και|του`, not `καιτ|ου`).
A real word is never split, and neither is a word the lexicon does not know unless its parts are
words it knows."""
from __future__ import annotations

import re

# closed classes of modern Greek: articles, prepositions, conjunctions and particles, weak pronouns
FUNCTION_WORDS = frozenset("""
ο η το οι τα του της των τον την τη τους τις στο στη στην στον στα στις στους στου στης
ένα ένας μια μία ενός μιας έναν
σε με για από προς κατά μετά παρά αντί χωρίς ως έως μέχρι υπό περί επί διά άνευ εκ εξ εις
και κι ή ούτε μήτε αλλά ότι πως που αν να θα δεν δε μη μην ενώ όπως όταν αφού ώστε είτε
μου σου μας σας τους τις τα τον την
""".split())
_GREEK_WORD = re.compile("[\u0370-\u03ff]{3,}")
MIN_PART = 2  # letters of the longer part, at least; a one-letter part only as a function word


def _is_word(part: str, lexicon) -> bool:
    """A word as written; one in capitals has no accents to check."""
    return lexicon.known_bare(part) if part.isupper() else lexicon.known(part)


def split_word(token: str, lexicon, depth: int = 2) -> list[str] | None:
    """The words a glued token is made of, or None (a word, or no split that qualifies)."""
    if lexicon.known(token) or lexicon.known_bare(token):
        return None
    best: tuple[int, list[str]] | None = None
    for cut in range(1, len(token)):
        left, right = token[:cut], token[cut:]
        for function, other, first in ((left, right, True), (right, left, False)):
            if function.lower() not in FUNCTION_WORDS:
                continue
            if len(other) == 1 and other.lower() not in FUNCTION_WORDS:
                continue
            if _is_word(other, lexicon) or other.lower() in FUNCTION_WORDS:
                parts = [other]
            elif depth > 1 and len(other) >= 3 and (again := split_word(other, lexicon, depth - 1)):
                parts = again
            else:
                continue
            words = [function, *parts] if first else [*parts, function]
            if best is None or len(function) > best[0]:
                best = (len(function), words)
    return best[1] if best else None


def split_glued(text: str, lexicon) -> str:
    """text with its glued Greek words split (unchanged without a lexicon)."""
    if lexicon is None:
        return text

    def fix(m: re.Match) -> str:
        parts = split_word(m.group(0), lexicon)
        return " ".join(parts) if parts else m.group(0)

    return _GREEK_WORD.sub(fix, text)
