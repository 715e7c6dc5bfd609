"""OCR'd pages through the one text stage (backends/text_stage.py: the Unicode clean, then the Greek
repairs that the text layer gets, backends/greek/repair.py, one function for both, with OCR's
own), decided page by page: whether the page is monotonic (its polytonic marks are
the recogniser's, and folded) and whether it is Greek.

A page keeps its polytonic marks when the document's text layer is polytonic (the caller asked for
`grc` because of it), or when the page's own OCR text has POLYTONIC_SHARE of its Greek letters
polytonic (and MIN_GREEK_LETTERS of them, enough to tell): monotonic text misread gains a few (35
characters on 4 pages of a gazette), polytonic text has one letter in three or four. The decision
is the page's alone, not the pages' read together: a long document is OCR'd as page ranges, each
range seeing only its own pages, and every page must read the same whether it was OCR'd in a
range or with the whole document (a range of a few polytonic-looking misreads tipped the share
where the whole document did not). A page with fewer Greek letters is folded.

Figures that the modern Greek model (ell, which reads most Greek pages alone: page_langs.py) writes
as letters are put back (`figures`): `1` read as `Ί` (a capital iota with tonos standing alone is
no Greek word: `άρθρου Ί`), and figures run into the next word (`2του` for `2 του`: a figure
followed by a word of the lexicon that is not an ordinal's ending, `1ου`, `2ης`, stays)."""
from __future__ import annotations

import re

from ..greek.lexicon import greek_lexicon
from ..greek.lookalikes import greek_page
from ..greek.polytonic import is_polytonic
from ..greek.repair import repair_greek
from ..text_stage import normalise_page
from .page_langs import MIN_GREEK_LETTERS

# what follows a figure in an ordinal (1ος, 2η, 3ο, 1ου, 2ης, 3ων, 4οι, 5ες, 6ους, 7α, 8ον)
ORDINAL_ENDINGS = frozenset("ος η ο ου ης ων οι ες ους α ον ας ή ό ού ής ών".split())
_LONE_IOTA = re.compile(r"(?<![^\s(\[.,;:])[Ίί](?=[\s,.;:)\]]|$)")
_FIGURES_WORD = re.compile(r"(?<![^\W\d_])(\d+)([α-ωάέήίόύώϊϋΐΰς]{3,})\b")


def repair_figures(text: str, lexicon) -> str:
    """A lone Ί/ί is the figure 1; figures run into a following word of the lexicon are apart."""
    text = _LONE_IOTA.sub("1", text)
    if lexicon is None:
        return text
    return _FIGURES_WORD.sub(lambda m: m.group(0) if m.group(2) in ORDINAL_ENDINGS or not lexicon.known(m.group(2))
                             else f"{m.group(1)} {m.group(2)}", text)


def repair_ocr_pages(pages: dict[int, list[str]], polytonic: bool = False, polytonic_pages=()
                     ) -> tuple[dict[int, list[str]], dict[str, list[int]]]:
    """pages: page number -> its paragraphs' text. Returns the paragraphs through the text stage
    and, per repair, the pages it changed. polytonic: the text layer says the document is
    polytonic; polytonic_pages: pages read as polytonic (page_langs.py), which keep their marks
    whatever the document is."""
    lexicon = greek_lexicon()
    out: dict[int, list[str]] = {}
    repairs: dict[str, list[int]] = {}
    for page_no, texts in pages.items():
        keep_marks = polytonic or page_no in polytonic_pages
        out[page_no], names = normalise_page(texts, repairs=lambda cleaned: _ocr_repairs(cleaned, keep_marks, lexicon))
        for name in sorted(names):
            repairs.setdefault(name, []).append(page_no)
    return out, repairs


def _ocr_repairs(texts: list[str], keep_marks: bool, lexicon) -> tuple[list[str], list[str]]:
    """One page's OCR'd paragraphs (cleaned) through the Greek repairs, OCR's own included."""
    page_monotonic = not (keep_marks or is_polytonic("\n".join(texts), MIN_GREEK_LETTERS))
    greek = greek_page(" ".join(texts))
    fixed, names = [], set()
    for text in texts:
        new, done = repair_greek(text, greek, ocr=True, monotonic=page_monotonic, lexicon=lexicon)
        if greek:
            figures = repair_figures(new, lexicon)
            if figures != new:
                new = figures
                done = [*done, "figures"]
        fixed.append(new)
        names.update(done)
    return fixed, sorted(names)
