"""The Unicode ranges Greek text is written in, shared by every rule that asks "is this Greek?".

Greek and Coptic (U+0370-03FF) holds the monotonic alphabet with its tonos; Greek Extended
(U+1F00-1FFF) the precomposed polytonic letters; combining diacritics (U+0300-036F) follow a
letter where a text is decomposed. Strings for use inside a character class, and the patterns
most rules need. (state/fspath.py counts Greek letters in a file name by the same ranges: the
store is the layer below backends and imports nothing from it.)
"""
from __future__ import annotations

import re

MONOTONIC = "\u0370-\u03ff"             # the Greek and Coptic block
POLYTONIC = "\u1f00-\u1fff"             # Greek Extended: precomposed polytonic letters
GREEK = MONOTONIC + POLYTONIC           # any Greek character
COMBINING = "\u0300-\u036f"             # combining diacritics (a decomposed accent or breathing)

GREEK_CHAR = re.compile(f"[{GREEK}]")
POLYTONIC_CHAR = re.compile(f"[{POLYTONIC}]")
GREEK_RUN = re.compile(f"[{GREEK}]+")
