"""Letter-spaced text read back as words.

Titles are often set with extra space between letters (tracking: `Κ Ε Φ Α Λ Α Ι Ο`). pdfium
puts a space in the page text wherever two characters stand far apart, so a tracked title comes
out as single letters between spaces, and its words are lost to a reader's eye and to a model
(`Ε ι σ α γ ω γ ή σ τ η μ έ θ ο δ ο`). The characters' boxes still tell the words: the gap
between two words is the tracking plus a word space, wider than the gap inside a word. A run of
four single letters or more between spaces is read again from its boxes: where its gaps fall in
two sizes, the wide ones are the word breaks; where they are all of one size, the run is one word
when the Greek lexicon knows it (`ΚΕΦΑΛΑΙΟ`), and otherwise stays as it is (`a b c d` in a
formula, a list of variables)."""
from __future__ import annotations

import re

from .pdfium_text import LOOSE_BOX

# four single letters or more, each followed by one space (the last by none)
# a page is looked at only where three single letters follow a space: a literal first character,
# which the regex engine finds at C speed (10 us a page, against 110 for SPACED)
HINT = re.compile(r" [^\W\d_] [^\W\d_] [^\W\d_](?![^\W\d_])")
SPACED = re.compile(r"(?<![^\W\d_])(?:[^\W\d_] ){3,}[^\W\d_](?![^\W\d_])")
WORD_GAP = 1.5  # a gap this many times the run's narrowest one (and 0.1 em wider) is a word break


def unspace(handle, text: str, first: int, end: int, size: float, rect, ref) -> str:
    """text[first:end] (one line; character indices equal text offsets) with each letter-spaced
    run written as its words. handle and ref: c_void_p objects (pdfium_text.bare_call)."""
    out, start = [], first
    for m in SPACED.finditer(text, first, end):
        out.append(text[start:m.start()])
        out.append(_words(handle, m.start(), m.group(0), size, rect, ref))
        start = m.end()
    out.append(text[start:end])
    return "".join(out)


def _words(handle, at: int, run: str, size: float, rect, ref) -> str:
    letters = run[::2]
    edges = []
    for k in range(len(letters)):
        LOOSE_BOX(handle, at + 2 * k, ref)
        edges.append((rect.left, rect.right))
    gaps = [b[0] - a[1] for a, b in zip(edges, edges[1:])]
    narrow = min(gaps)
    if max(gaps) > WORD_GAP * max(narrow, 0.0) + 0.1 * size:  # two sizes: the wide gaps are breaks
        cut = narrow * WORD_GAP + 0.1 * size
        return letters[0] + "".join((" " if gap > cut else "") + letter for gap, letter in zip(gaps, letters[1:]))
    from ..greek.lexicon import is_word

    word = "".join(letters)
    return word if is_word(word) else run
