"""OCR'd pages through the Greek repairs that the text layer gets (backends/greek/repair.py, one
function for both), decided page by page: whether the page is monotonic (its polytonic marks are
the recogniser's, and folded) and whether it is Greek.

A page keeps its polytonic marks when the document's text layer is polytonic (the caller asked for
`grc` because of it), or when the page's own OCR text has POLYTONIC_SHARE of its Greek letters
polytonic (and MIN_GREEK_LETTERS of them, enough to tell): monotonic text misread gains a few (35
characters on 4 pages of a gazette), polytonic text has one letter in three or four. The decision
is the page's alone, not the pages' read together: a long document is OCR'd as page ranges, each
range seeing only its own pages, and every page must read the same whether it was OCR'd in a
range or with the whole document (a range of a few polytonic-looking misreads tipped the share
where the whole document did not). A page with fewer Greek letters is folded."""
from __future__ import annotations

from ..greek.lexicon import greek_lexicon
from ..greek.lookalikes import greek_page
from ..greek.polytonic import is_polytonic
from ..greek.repair import repair_greek
from .page_langs import MIN_GREEK_LETTERS


def repair_ocr_pages(pages: dict[int, list[str]], polytonic: bool = False, polytonic_pages=()
                     ) -> tuple[dict[int, list[str]], dict[str, list[int]]]:
    """pages: page number -> its paragraphs' text. Returns the repaired paragraphs and, per repair,
    the pages it changed. polytonic: the text layer says the document is polytonic;
    polytonic_pages: pages read as polytonic (page_langs.py), which keep their marks whatever the
    document is."""
    lexicon = greek_lexicon()
    out: dict[int, list[str]] = {}
    repairs: dict[str, list[int]] = {}
    for page_no, texts in pages.items():
        page_monotonic = not (polytonic or page_no in polytonic_pages
                              or is_polytonic("\n".join(texts), MIN_GREEK_LETTERS))
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
