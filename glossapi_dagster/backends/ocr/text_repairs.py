"""OCR'd pages through the Greek repairs that the text layer gets (backends/greek/repair.py, one
function for both), decided for the document as a whole: whether it is monotonic (its polytonic
marks are the recogniser's, and folded) and, page by page, whether the page is Greek.

A document is polytonic when its text layer is (the caller asked for `grc` because of it), or when
the OCR's own text has POLYTONIC_SHARE of its Greek letters polytonic: monotonic text misread
gains a few (35 characters on 4 pages of a gazette), polytonic text has one letter in three or four."""
from __future__ import annotations

from ..greek.lexicon import greek_lexicon
from ..greek.lookalikes import greek_page
from ..greek.polytonic import is_polytonic
from ..greek.repair import repair_greek


def repair_ocr_pages(pages: dict[int, list[str]], polytonic: bool = False, polytonic_pages=()
                     ) -> tuple[dict[int, list[str]], dict[str, list[int]]]:
    """pages: page number -> its paragraphs' text. Returns the repaired paragraphs and, per repair,
    the pages it changed. polytonic: the text layer says the document is polytonic;
    polytonic_pages: pages read as polytonic (page_langs.py), which keep their marks whatever the
    document is."""
    lexicon = greek_lexicon()
    monotonic = not polytonic and not is_polytonic("\n".join(t for texts in pages.values() for t in texts))
    out: dict[int, list[str]] = {}
    repairs: dict[str, list[int]] = {}
    for page_no, texts in pages.items():
        page_monotonic = monotonic and page_no not in polytonic_pages
        greek = greek_page(" ".join(texts))
        fixed, names = [], set()
        for text in texts:
            new, done = repair_greek(text, greek, ocr=True, monotonic=page_monotonic, lexicon=lexicon)
            fixed.append(new)
            names.update(done)
        out[page_no] = fixed
        for name in sorted(names):
            repairs.setdefault(name, []).append(page_no)
    return out, repairs
