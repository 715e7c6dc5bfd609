"""Unicode hygiene for extracted text: NFC for Greek, mojibake repaired where ftfy deems it safe."""
from __future__ import annotations

import re
import unicodedata

import ftfy

_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    fix_line_breaks=False,
    normalization="NFC",
    explain=False,
)


# Mojibake shows Latin-1 / Latin Extended letters, box drawing or U+FFFD; text without any of
# them has nothing for ftfy to repair, and skipping it is most of the cost of cleaning.
_SUSPECT = re.compile("[\u0080-\u024f\u2500-\u25ff\ufffd]")


def clean_text(text: str) -> str:
    if not text:
        return text
    if _SUSPECT.search(text):
        text = ftfy.fix_text(text, config=_CONFIG)
    return unicodedata.normalize("NFC", text)


def clean_document(doc) -> int:
    """Fix every text item of a DoclingDocument in place; returns how many changed."""
    changed = 0
    for item in doc.texts:
        fixed = clean_text(item.text)
        if fixed != item.text:
            item.text = fixed
            changed += 1
    return changed
