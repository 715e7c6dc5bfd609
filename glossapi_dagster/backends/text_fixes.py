"""Unicode hygiene for extracted text: NFC for Greek, mojibake repaired where ftfy deems it safe."""
from __future__ import annotations

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


def clean_text(text: str) -> str:
    if not text:
        return text
    return unicodedata.normalize("NFC", ftfy.fix_text(text, config=_CONFIG))


def clean_document(doc) -> int:
    """Fix every text item of a DoclingDocument in place; returns how many changed."""
    changed = 0
    for item in doc.texts:
        fixed = clean_text(item.text)
        if fixed != item.text:
            item.text = fixed
            changed += 1
    return changed
