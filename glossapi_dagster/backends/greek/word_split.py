"""Greek words glued together where OCR dropped the space between them (`μετην`, `καιτου`,
`κατάτην`, `αξιωματικοίτων`, `Οιαρμοδιότητεςπου`).

Tight justified setting leaves a function word (an article, a preposition, a conjunction, a weak
pronoun) so close to its neighbour that OCR reads one word. A token is split in two when:
- it is no word of the lexicon, not even with other accents (`οδος` is οδός misread, never ο δος);
- it cannot be one word of monotonic Greek: it has two syllables or more and no accent (`μετην`,
  `καιτου`), its accent stands before the third syllable from its end (`γνωμοδότησητου`), or a
  final sigma stands inside it (`διατάξειςτου`); or it could be one but is no inflection of a word
  the lexicon knows (its last letters swapped for another ending: `ξέσματα` is a form of ξέσματος
  and stays whole, unless both its parts are function words: `απότις` is no form of απότιση;
  `κατάτην`, `πρώτοτου` are forms of nothing), and its function word is one that
  starts or ends no word: an article, a conjunction, a particle (LEFT_GLUE, RIGHT_GLUE). The
  prepositions and `αν` start compounds the lexicon may lack (`Μεταδευτεροβάθμιας`, `ανιθαγενείς`),
  `σας`, `τα` end participles and nouns (`ερευνηθείσας`): they split only impossible tokens.
  A token of three words or more is cut again only where what is left is itself impossible.
  A token in capitals has no accent to tell by: it is split only when it is long (MIN_CAPITALS
  letters: acronyms are short) and its other part a long word (`ΚΑΙΑΠΟΦΑΣΙΖΟΥΜΕ`);
- one part is a function word and the other a word of the lexicon, or a token split again the
  same way (three words glued: `Οιαρμοδιότητεςπου`);
- of the splits that qualify, the one whose function word is longest (`και|του`, not `καιτ|ου`).
A real word is never split, and neither is a word the lexicon does not know unless its parts are
words it knows."""
from __future__ import annotations

import re

from .chars import MONOTONIC

# closed classes of modern Greek: articles, prepositions, conjunctions and particles, weak pronouns
FUNCTION_WORDS = frozenset("""
ο η το οι τα του της των τον την τη τους τις στο στη στην στον στα στις στους στου στης
ένα ένας μια μία ενός μιας έναν
σε με για από προς κατά μετά παρά αντί χωρίς ως έως μέχρι υπό περί επί διά άνευ εκ εξ εις
και κι ή ούτε μήτε αλλά ότι πως που αν να θα δεν δε μη μην ενώ όπως όταν αφού ώστε είτε
μου σου μας σας τους τις τα τον την
κάθε όλα όλες όλοι όλη όλο όλων αυτό αυτή αυτά αυτός αυτού αυτής αυτών αυτόν αυτήν αυτές αυτοί
""".split())
# function words that glue to a word that could be one, on its left and on its right
LEFT_GLUE = frozenset("ο η το οι τα του της των τον την τη τους τις και που ότι να θα δεν στο στη στην στον "
                      "στις στους με σε για".split())
RIGHT_GLUE = frozenset("του της των τον την τη το τους τις και που στο στη στην στον στις στους από για κατά "
                       "μετά ότι δεν".split())
_GREEK_WORD = re.compile(f"[{MONOTONIC}]{{3,}}")
MIN_CAPITALS, MIN_CAPITALS_PART = 8, 5
_VOWEL_GROUP = re.compile("(?:αι|ει|οι|υι|ου|αυ|ευ|ηυ|[αεηιουωάέήίόύώϊϋΐΰ])", re.I)
_ACCENTED = re.compile("[άέήίόύώΐΰΆΈΉΊΌΎΏ]")


# endings of Greek nouns, adjectives, verbs and participles, to find a token's other forms
ENDINGS = ("α", "ας", "ες", "ε", "η", "ης", "ι", "ια", "ιο", "ιου", "ο", "ος", "ου", "ους", "οι", "ων", "ό", "ός",
           "ού", "ών", "ά", "ή", "ής", "ές", "ούς", "οί", "ει", "εις", "ουν", "ουμε", "ετε", "ω", "ώ", "ει",
           "ματα", "ματος", "μα", "ση", "σης", "σεις", "ση", "τος", "τη", "της", "ντας", "μένος", "μένη",
           "μένο", "μένα", "μένες", "μένων", "ουσα", "ουσας", "οντας", "είσα", "είσας", "ένη", "ένο", "ένος")


def inflection_of_a_word(token: str, lexicon) -> bool:
    """Some form of the token, its last one or two letters swapped for another ending, is a word
    (a deeper cut reaches into the first word of a glued pair, and finds its forms)."""
    lower = token.lower()
    for cut in range(1, min(2, len(lower) - 2) + 1):
        stem = lower[:-cut]
        if any(lexicon.known(stem + ending) for ending in ENDINGS):
            return True
    return False


def impossible_word(token: str) -> bool:
    """No word of monotonic Greek is spelt so: polysyllabic without an accent, or accented before
    its antepenult (the vowel groups after the accent count its syllables; a digraph is one)."""
    if token.isupper():
        return False  # capitals carry no accent
    if "ς" in token[:-1]:
        return True
    accent = _ACCENTED.search(token)
    if accent is None:
        return len(_VOWEL_GROUP.findall(token.lower())) >= 2
    return len(_VOWEL_GROUP.findall(token[accent.end():].lower())) >= 3


def _is_word(part: str, lexicon) -> bool:
    """A word as written; one in capitals has no accents to check."""
    return lexicon.known_bare(part) if part.isupper() else lexicon.known(part)


def split_word(token: str, lexicon, depth: int = 4) -> list[str] | None:
    """The words a glued token is made of, or None (a word, or no split that qualifies)."""
    if lexicon.known(token) or lexicon.known_bare(token):
        return None
    capitals = token.isupper()
    if capitals and len(token) < MIN_CAPITALS:
        return None
    plausible = not capitals and not impossible_word(token)
    inflected = plausible and inflection_of_a_word(token, lexicon)
    best: tuple[int, list[str]] | None = None
    for cut in range(1, len(token)):
        left, right = token[:cut], token[cut:]
        for function, other, first in ((left, right, True), (right, left, False)):
            if function.lower() not in FUNCTION_WORDS:
                continue
            if plausible and function.lower() not in (LEFT_GLUE if first else RIGHT_GLUE):
                continue
            if inflected and other.lower() not in FUNCTION_WORDS:  # a form of a word, unless two function
                continue                                           # words made it (`απότις`: not απότιση)
            if len(other) == 1 and other.lower() not in FUNCTION_WORDS:
                continue
            if capitals and len(other) < MIN_CAPITALS_PART:
                continue
            if _is_word(other, lexicon) or other.lower() in FUNCTION_WORDS:
                parts = [other]
            elif (depth > 1 and len(other) >= 3 and (other.isupper() or impossible_word(other))
                  and (again := split_word(other, lexicon, depth - 1))):  # three words or more: each cut certain
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
