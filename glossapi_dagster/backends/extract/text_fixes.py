"""Unicode hygiene for extracted text: NFC for Greek, mojibake repaired where ftfy deems it safe,
and a soft hyphen drawn inside a line read as the hyphen it shows."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


# UTF-8 read as Latin-1 / cp1252 (what ftfy repairs) puts two such characters side by side
# ("Ã©", "Î±"); C1 codes and U+FFFD it repairs alone. Text without any of them has nothing for ftfy
# to do, and skipping it is most of the cost of cleaning: Greek text has a lone «» everywhere.
_MOJI = "\u0080-\u024f\u2010-\u2122\u2500-\u25ff"
# One character class first (the union of both alternatives' first characters), so that the
# regex engine skips to a candidate at C speed instead of trying the alternatives at every character.
_SUSPECT = re.compile(f"[\u0080-\u024f\u2500-\u25ff\ufffd](?:(?<=[\u0080-\u009f\ufffd])|[{_MOJI}])")


# A soft hyphen (U+00AD) is shown only where a word breaks at a line end; pdfium marks that one
# with U+FFFE and the line joiner rejoins the word. One still inside a line was drawn there: a font
# whose one hyphen glyph serves both U+002D and U+00AD maps it to U+00AD in its ToUnicode (pdfium's
# own embedding of Liberation Serif does), so `45-47` and `xy-επίπεδο` read as `45\u00ad47`, which a
# reader sees as `4547`. Between two visible characters it is the hyphen the page shows, and so
# is one standing alone between blanks, as a list's dash (`\u00ad Ο αιτών`): a word's break follows
# its letters.
_DRAWN_SOFT_HYPHEN = re.compile(r"(?<=\S)\u00ad(?=\S)|(?:(?<=\s)|^)\u00ad(?=\s)")


def may_need_repair(text: str) -> bool:
    """False when ftfy would find nothing to repair in text (or in any part of it)."""
    return _SUSPECT.search(text) is not None


@lru_cache(maxsize=1)
def _ftfy():
    """ftfy and our settings, imported on the first text that needs it (0.1 s a worker otherwise)."""
    import ftfy

    config = ftfy.TextFixerConfig(
        unescape_html=False,
        uncurl_quotes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        fix_line_breaks=False,
        normalization="NFC",
        explain=False,
    )
    return ftfy, config


def clean_text(text: str, suspect: bool = True) -> str:
    """NFC, and ftfy's repair where the text may need it (suspect=False: the caller knows it does not)."""
    if not text:
        return text
    if suspect and _SUSPECT.search(text):
        ftfy, config = _ftfy()
        text = ftfy.fix_text(text, config=config)
    if "\u00ad" in text:
        text = _DRAWN_SOFT_HYPHEN.sub("-", text)
    return unicodedata.normalize("NFC", text)

