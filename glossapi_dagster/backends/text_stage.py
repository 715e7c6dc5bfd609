"""The one text stage: every backend's text goes through it, page by page and in this order,
before the backend returns its conversion (the safe backend a page's blocks, the Docling backend
a page's items, OCR a page's paragraphs). Nothing after a backend normalises text again.

1. The Unicode clean (extract/text_fixes.py): mojibake repaired, a soft hyphen drawn inside a
   line read as the hyphen it shows, NFC.
2. The LGR (cbgreek) decoding finished, on a page that was decoded (greek/lgr.py: accents moved
   onto capitals, σ at a word's end as ς).
3. The Greek repairs (greek/repair.py): the text layer's (Latin lookalikes inside Greek words,
   capitals), or OCR's own on OCR text (ocr/text_repairs.py).

The order is the cause's. The repairs read letters, and a word is Greek letters only once the
clean has made it so: a Greek word written as UTF-8 and read as cp1252 (`Ï€oÎ»Î¹`, as a producer
that put UTF-8 bytes into a single-byte font writes it) has no Greek letter for its Latin `o` to
sit beside until ftfy repairs it to `πoλι`. What the repairs decide for the whole page (whether
there is anything to repair, whether the page is Greek) they decide on the page's cleaned text.

Each page's repairs come back by name, which the backends record page by page (text_repairs in
the sidecar, text_repair in the store). The clean is no repair recorded: it changes how a
character is encoded, never which letter a reader sees."""
from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Callable

from .extract.text_fixes import clean_text, may_need_repair
from .greek import lgr
from .greek.capitals import capitals_hints
from .greek.lookalikes import greek_page, lookalike_hints
from .greek.repair import needs_repair, repair_greek

# a page's texts, cleaned -> (its texts repaired, the names of the repairs that changed them)
Repairs = Callable[[list[str]], tuple[list[str], list[str]]]


def text_layer_repairs(texts: list[str]) -> tuple[list[str], list[str]]:
    """The Greek repairs of a PDF's text layer (its characters are the author's: no OCR rule), the
    page's Greek share measured once on all its texts.

    Only the texts that hold a rule's hint, or are not in NFC, go through the rules: the others
    come out as they are. A text's hint is the page's at the same place (the hints are letters
    beside letters, never the blank that joins two texts), so the page's hints, found at C speed,
    name the texts to look at: on a page with a hint in one paragraph, the repairs' calls on each
    of its other paragraphs were most of their cost."""
    page = " ".join(texts)
    if not needs_repair(page):
        return texts, []
    greek = greek_page(page)
    starts, at = [], 0
    for text in texts:
        starts.append(at)
        at += len(text) + 1
    hinted = {bisect_right(starts, k) - 1 for k in lookalike_hints(page) + capitals_hints(page)}
    names: list[str] = []
    out = []
    for i, text in enumerate(texts):
        if i in hinted or not unicodedata.is_normalized("NFC", text):
            text, done = repair_greek(text, greek)
            names.extend(name for name in done if name not in names)
        out.append(text)
    return out, names


def normalise_page(texts: list[str], lgr_decoded: bool = False,
                   repairs: Repairs | None = text_layer_repairs) -> tuple[list[str], list[str]]:
    """One page's texts through the stage; returns them and the names of the Greek repairs made.
    lgr_decoded: the page's LGR was decoded (its finish is due); repairs: the Greek repairs for
    this kind of text (None: the clean alone, for text without pages: a DOCX's, an HTML's)."""
    suspect = may_need_repair(" ".join(texts))  # most pages have nothing for ftfy: looked at once
    texts = [clean_text(text, suspect) for text in texts]
    if lgr_decoded:
        texts = [lgr.finish(text) for text in texts]
    if repairs is None:
        return texts, []
    return repairs(texts)


def normalise_document(doc, lgr_pages=(), repair: bool = True) -> dict[str, list[int]]:
    """A DoclingDocument's text items through the stage in place, page by page (items with no page
    get the clean alone); returns, per Greek repair, the pages it changed. lgr_pages: the pages
    whose LGR was decoded; repair=False: the clean alone (a format whose text has no pages)."""
    by_page: dict[int, list] = {}
    loose = []
    for item in doc.texts:
        if repair and item.prov:
            by_page.setdefault(item.prov[0].page_no, []).append(item)
        else:
            loose.append(item)
    found: dict[str, list[int]] = {}
    for page_no, items in by_page.items():
        texts, names = normalise_page([item.text for item in items], page_no in lgr_pages)
        for item, text in zip(items, texts):
            item.text = text
        for name in names:
            found.setdefault(name, []).append(page_no)
    if loose:
        for item, text in zip(loose, normalise_page([item.text for item in loose], repairs=None)[0]):
            item.text = text
    return {name: sorted(pages) for name, pages in found.items()}
