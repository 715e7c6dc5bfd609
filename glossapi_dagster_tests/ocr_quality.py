"""Word recall of OCR text against a reference, as a Greek reader would compare them."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

# the FEK references keep the PDF's lookalikes: U+2206 for Delta, Latin capitals inside Greek words
_LOOKALIKES = str.maketrans({"\u2206": "Δ", "\u00b5": "μ"})


def words(text: str) -> Counter:
    """Lower-case words, NFC, a word split by a line-end hyphen counted once."""
    text = unicodedata.normalize("NFC", text).translate(_LOOKALIKES)
    text = re.sub(r"(\w)[-\u00ad]\s+(\w)", r"\1\2", text)
    return Counter(re.findall(r"\w+", text.lower()))


def recall(reference: str, text: str) -> float:
    ref, got = words(reference), words(text)
    return sum((ref & got).values()) / max(1, sum(ref.values()))


def greek_extended(text: str) -> int:
    """Characters of the Greek Extended block (U+1F00-1FFF): breathings, polytonic accents."""
    return sum(1 for ch in unicodedata.normalize("NFC", text) if "\u1f00" <= ch <= "\u1fff")
