"""The Greek repairs: one function that every path producing text calls, a PDF's text layer (the
safe backend per block, the Docling backend per item) and OCR (Tesseract, RapidOCR per paragraph).

Every text gets, each rule stated by its cause in its own module:
- NFC (a decomposed accent is the same letter to a reader);
- lookalikes inside Greek words made Greek (lookalikes.py: ∆ U+2206, µ U+00B5, Latin capitals);
- Greek words in capitals read as capitals (capitals.py: small-caps fonts, a capital's extra tonos).
OCR text also gets what only a recogniser does wrong (the text layer's characters are the author's):
- polytonic marks folded when the document is monotonic (polytonic.py);
- whole Latin tokens that are lookalike spellings of Greek words made Greek (latin_words.py);
- glued words split where the space was dropped (word_split.py).
The last two, and the best reading of a folded word, need the Greek lexicon (lexicon.py).

repair_greek returns the text and the names of the repairs that changed it, which the callers
record page by page (`text_repairs` in the sidecar, `text_repair` in the store)."""
from __future__ import annotations

import unicodedata

from .capitals import fix_capitals, has_capitals_hint
from .latin_words import fix_latin_words
from .lookalikes import fix_lookalikes, greek_page, has_lookalike
from .polytonic import fold_polytonic
from .word_split import split_glued

LOOKALIKES, CAPITALS, POLYTONIC, LATIN_WORDS, GLUED_WORDS, NFC = (
    "lookalikes", "capitals", "polytonic", "latin_words", "glued_words", "nfc")


def needs_repair(text: str) -> bool:
    """Whether the text layer rules would find anything in text (a page's): a character class or two,
    at C speed, so a page with nothing to repair costs a few microseconds."""
    return has_lookalike(text) or has_capitals_hint(text) or not unicodedata.is_normalized("NFC", text)


def repair_greek(text: str, greek: bool | None = None, ocr: bool = False, monotonic: bool = True,
                 lexicon=None) -> tuple[str, list[str]]:
    """(repaired text, names of the repairs that changed it).

    greek: the page (or paragraph) is mostly Greek (None: measured on text itself); ocr: the text
    was read by OCR; monotonic: the document is monotonic Greek (OCR text only: its polytonic marks
    are the recogniser's); lexicon: the Greek lexicon (lexicon.greek_lexicon()), for OCR's rules."""
    done: list[str] = []

    def step(name: str, new: str) -> None:
        nonlocal text
        if new != text:
            done.append(name)
            text = new

    if not unicodedata.is_normalized("NFC", text):
        step(NFC, unicodedata.normalize("NFC", text))
    if greek is None:
        greek = greek_page(text)
    step(LOOKALIKES, fix_lookalikes(text, greek))
    if ocr and monotonic:
        step(POLYTONIC, fold_polytonic(text, lexicon))
    step(CAPITALS, fix_capitals(text))
    if ocr and lexicon is not None:
        step(LATIN_WORDS, fix_latin_words(text, lexicon, greek))
        if greek:
            step(GLUED_WORDS, split_glued(text, lexicon))
    return text, done
