"""Whether OCR could read a page: its recogniser's confidence and the validity of its words.

A recogniser given what it was not trained on (handwriting, a drawing, a photo) still writes
letters, with low confidence, in words that no language has: mixed scripts (`oF ὅσο Niveaags`),
case flips, Greek letter strings the lexicon does not know. A printed page it reads well has high
confidence and mostly valid words, and one of the two stays high on a page it reads badly but
truly (a faint scan: words right, confidence lower; a table of codes: confidence high).

So a page is unreadable when both are low: its mean line confidence (weighted by characters)
under MIN_CONFIDENCE and the share of valid words under MIN_VALID. A valid word: Greek letters the
Greek lexicon knows (accents aside in capitals), or Latin letters an English word list knows
(Debian's wamerican, /usr/share/dict/words; without it, Latin letters in one case pattern with a
vowel); words of one letter and numbers are not counted. Pages with fewer than MIN_WORDS words say
too little and are not judged."""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from ..greek.lexicon import greek_lexicon
from ..greek.chars import GREEK_RUN, POLYTONIC_CHAR

MIN_CONFIDENCE = 0.70
MIN_VALID = 0.50
MIN_WORDS = 10
_WORD = re.compile(r"[^\W\d_]{2,}")
_GREEK_WORD = GREEK_RUN
_LATIN_WORD = re.compile("(?:[A-Z]?[a-z]+|[A-Z]+)")
_LATIN_VOWEL = re.compile("[aeiouyAEIOUY]")
_POLYTONIC = POLYTONIC_CHAR
WORD_LISTS = ("/usr/share/dict/words", "/usr/share/dict/american-english", "/usr/share/dict/british-english")


@lru_cache(maxsize=1)
def english_words() -> frozenset | None:
    for name in WORD_LISTS:
        if Path(name).is_file():
            return frozenset(w.lower() for w in Path(name).read_text(encoding="utf-8", errors="ignore").split())
    logging.getLogger(__name__).warning("no English word list (%s): Latin words of OCR'd pages are judged by "
                                        "their shape; install it with: sudo apt-get install -y wamerican",
                                        WORD_LISTS[0])
    return None


def valid_word(word: str, lexicon) -> bool:
    if _GREEK_WORD.fullmatch(word):
        if lexicon is None:
            return True  # nothing to tell it by
        if word.isupper() or _POLYTONIC.search(word):  # no accents to check, or not monotonic ones
            return lexicon.known_bare(word)
        return lexicon.known(word)
    if not (_LATIN_WORD.fullmatch(word) and _LATIN_VOWEL.search(word)):
        return False
    english = english_words()
    return english is None or word.lower() in english


def page_readability(lines, text: list[str] | str) -> dict:
    """{confidence, valid, words, unreadable} of one OCR'd page: lines as the engine gave them (with
    their score), text its paragraphs after the repairs."""
    chars = sum(len(line.text) for line in lines)
    confidence = sum(line.score * len(line.text) for line in lines) / chars if chars else 1.0
    joined = text if isinstance(text, str) else "\n".join(text)
    words = _WORD.findall(joined)
    lexicon = greek_lexicon() if words else None
    valid = sum(valid_word(w, lexicon) for w in words) / len(words) if words else 1.0
    unreadable = len(words) >= MIN_WORDS and confidence < MIN_CONFIDENCE and valid < MIN_VALID
    return {"confidence": round(confidence, 3), "valid": round(valid, 3), "words": len(words),
            "unreadable": unreadable}


def unreadable_pages(quality: dict | None) -> list[int]:
    return sorted(int(p) for p, q in (quality or {}).items() if q.get("unreadable"))


def unreadable_column(quality: dict | None) -> str | None:
    """The store's ocr_unreadable_pages: "3,7", or None when every OCR'd page was read."""
    return ",".join(map(str, unreadable_pages(quality))) or None


def merge_repairs(into: dict, more: dict | None) -> dict:
    """Repairs ({name: pages}) of the OCR'd pages added to a document's (the text layer's)."""
    for name, pages in (more or {}).items():
        into[name] = sorted(set(into.get(name, [])) | set(pages))
    return into
