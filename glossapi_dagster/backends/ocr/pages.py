"""OCR decided per page: which pages of an extracted document need it, and the OCR'd pages put
in place of theirs while every other page keeps its text layer exactly as extracted.

A page needs OCR when any signal names it: triage's scanned pages (near-empty, covered by a
picture), empty pages (no text at all; a page with a little text and no picture keeps it), pages whose own text is
garbled or mojibake (triage's document gates applied to the page), and any further list of page
numbers a text-layer check supplies (e.g. `lgr_page_numbers`: undecodable LGR/cbgreek fonts). A
document flagged needs_ocr with no page singled out is OCR'd whole: its text layer as a whole is bad.

The Docling JSON records each page's source in pages[<no>]["source"]: `text_layer`,
`ocr:tesseract` or `ocr:rapidocr` (docling-core keeps unknown page keys out of its model, so the
JSON still loads as a DoclingDocument).
"""
from __future__ import annotations

from collections import defaultdict

from ..extract.pdf_images import EMPTY_PAGE_CHARS
from ..item_pages import item_pages
from ..quality.triage import GARBLED_MAX, GARBLED_MIN_WORDS, MOJIBAKE_MAX, pdf_image_cover, text_signals

TEXT_LAYER = "text_layer"
# extra signals a triage result may carry, each a list of 1-based page numbers
PAGE_SIGNALS = ("scanned_page_numbers", "lgr_page_numbers", "garbled_page_numbers")
POLYTONIC_GRC = 0.05  # a text layer with this share of polytonic Greek letters asks Tesseract for grc
# A page with little text (a running header over a scan: FEK_A_79 p.20 has 51 characters, past
# triage's 50) that a picture covers almost whole is a scan too.
SPARSE_PAGE_CHARS = 200
SCAN_COVER = 0.85


def page_texts(doc: dict) -> dict[int, str]:
    """Each page's text (its text items joined), for every page of the Docling JSON dict."""
    texts: dict[int, list[str]] = defaultdict(list)
    for item in doc.get("texts") or []:
        for page_no, text in item_pages(item):
            texts[page_no].append(text)
    pages = sorted(int(p) for p in (doc.get("pages") or {})) or sorted(texts)
    return {p: "\n".join(texts.get(p, [])) for p in pages}


def _chars(text: str) -> int:
    return sum(map(len, text.split()))


def garbled_pages(texts: dict[int, str]) -> list[int]:
    """Pages whose own text fails triage's garbled-text or mojibake gate."""
    out = []
    for page_no, text in texts.items():
        s = text_signals(text)
        if s["mojibake_badness_score"] > MOJIBAKE_MAX and s["char_count_no_comments"] >= EMPTY_PAGE_CHARS:
            out.append(page_no)
        elif s["words"] >= GARBLED_MIN_WORDS and s["garbled_text_score"] > GARBLED_MAX:
            out.append(page_no)
    return out


def pages_needing_ocr(doc: dict, signals: dict, needs_ocr: bool | None = None, pdf_path=None,
                      within: range | None = None) -> dict[int, str]:
    """page number -> the reasons it needs OCR (';'-joined). `signals` is a triage result (or a
    sidecar) with any of PAGE_SIGNALS; needs_ocr is the document's verdict (default: signals');
    with pdf_path, sparse pages are measured for a covering picture. `within` (a page range of a
    long document) measures only its pages: the answer is the whole document's, restricted to it."""
    texts = page_texts(doc)
    if within is not None:
        texts = {p: t for p, t in texts.items() if p in within}
    reasons: dict[int, list[str]] = defaultdict(list)
    for name in PAGE_SIGNALS:
        for page_no in signals.get(name) or []:
            if within is None or int(page_no) in within:
                reasons[int(page_no)].append(name.replace("_page_numbers", ""))
    if pdf_path is not None:
        sparse = [p for p, t in texts.items() if p not in reasons and 0 < _chars(t) < SPARSE_PAGE_CHARS]
        for page_no, cover in pdf_image_cover(pdf_path, sparse).items():
            if cover >= SCAN_COVER:
                reasons[page_no].append("scanned")
    for page_no, text in texts.items():
        if not text.strip():  # no text at all; a short page (a heading, a figure) keeps its text layer
            reasons[page_no].append("empty")
    for page_no in garbled_pages(texts):
        reasons[page_no].append("garbled")
    flagged = signals.get("needs_ocr") if needs_ocr is None else needs_ocr
    if flagged and not reasons:
        if within is not None and _singles_out_a_page(doc, signals, pdf_path):
            return {}  # the document's bad pages are elsewhere: this range keeps its text layer
        reasons = {p: ["document"] for p in texts}
    valid = set(texts)
    return {p: ";".join(dict.fromkeys(r)) for p, r in sorted(reasons.items()) if not valid or p in valid}


def _singles_out_a_page(doc: dict, signals: dict, pdf_path) -> bool:
    """Whether any page of the document has a reason of its own (then it is not OCR'd whole)."""
    if any(signals.get(name) for name in PAGE_SIGNALS):  # the cheap answer first
        return True
    return bool(pages_needing_ocr(doc, signals, needs_ocr=False, pdf_path=pdf_path))


def extra_langs(signals: dict, asked: list[str]) -> list[str]:
    """grc when the text layer shows polytonic Greek and the user did not ask for it already."""
    if "grc" not in asked and (signals.get("polytonic_ratio") or 0) >= POLYTONIC_GRC:
        return ["grc"]
    return []


def merge_ocr_pages(text_doc: dict, ocr_doc, source: str):
    """The text-layer document with the OCR'd pages (those of ocr_doc) put in place of its own.

    Returns (DoclingDocument, JSON dict with per-page sources). Items of other pages are not
    touched; on an OCR'd page every item is replaced (a scan's picture and running header too)."""
    from docling_core.types.doc import DocItemLabel, DoclingDocument
    from docling_core.types.doc.document import DocItem

    doc = DoclingDocument.model_validate(text_doc)
    ocr_pages = sorted(int(p) for p in ocr_doc.pages)
    replaced = set(ocr_pages)
    doomed = [item for item, _ in doc.iterate_items(with_groups=False, included_content_layers=set(_layers()))
              if isinstance(item, DocItem) and item.prov and all(p.page_no in replaced for p in item.prov)]
    if doomed:
        doc.delete_items(node_items=doomed)
    for page_no in ocr_pages:
        if page_no not in doc.pages:
            doc.add_page(page_no=page_no, size=ocr_doc.pages[page_no].size)
        anchor, before = _anchor(doc, page_no)
        for item in (t for t in ocr_doc.texts if t.prov and t.prov[0].page_no == page_no):
            if anchor is None:
                anchor = doc.add_text(label=DocItemLabel.TEXT, text=item.text, prov=item.prov[0])
            else:
                anchor = doc.insert_text(sibling=anchor, label=DocItemLabel.TEXT, text=item.text, prov=item.prov[0],
                                         after=not before)
                before = False
    data = doc.export_to_dict()
    for no, page in (data.get("pages") or {}).items():
        page["source"] = source if int(no) in replaced else TEXT_LAYER
    return doc, data


def _layers():
    from docling_core.types.doc.document import ContentLayer

    return list(ContentLayer)


def _anchor(doc, page_no: int):
    """(item, insert_before): the last top-level body item on an earlier page, to insert after;
    else the first top-level item, to insert before; (None, False) for an empty body."""
    first, last_before = None, None
    for ref in doc.body.children:
        node = ref.resolve(doc)
        pages = _pages_of(doc, node)
        if first is None:
            first = node
        if pages and max(pages) < page_no:
            last_before = node
    if last_before is not None:
        return last_before, False
    return (first, True) if first is not None else (None, False)


def _pages_of(doc, node) -> list[int]:
    pages = [p.page_no for p in getattr(node, "prov", None) or []]
    for ref in getattr(node, "children", None) or []:
        pages += _pages_of(doc, ref.resolve(doc))
    return pages


def page_sources(data: dict) -> dict[int, str]:
    """page number -> its recorded source (text_layer when none is recorded)."""
    return {int(no): page.get("source", TEXT_LAYER) for no, page in (data.get("pages") or {}).items()}


def ocr_needed_pages(extractor, path: str, data: dict, signals: dict, asked_langs: list[str],
                     within: range | None = None):
    """OCR the pages of an extracted document that need it (of `within` only, when given).

    Returns None when no page needs OCR, else (the OCR Conversion, its timings with per-page
    seconds; {page: reasons} of the pages it OCR'd)."""
    pages = pages_needing_ocr(data, signals, pdf_path=path, within=within)
    if not pages:
        return None
    conv = extractor.convert(path, pages=set(pages), extra_langs=extra_langs(signals, asked_langs))
    done = {p: r for p, r in pages.items() if p in conv.document.pages}  # max_pages may stop short
    return (conv, done) if done else None


def ocr_and_merge(extractor, path: str, data: dict, signals: dict, asked_langs: list[str]):
    """OCR the pages of an extracted document that need it and merge them in.

    Returns None when no page needs OCR, else a dict: doc, data (with per-page sources),
    pages ({page: reasons}), conv (the OCR Conversion, its timings with per-page seconds)."""
    found = ocr_needed_pages(extractor, path, data, signals, asked_langs)
    if found is None:
        return None
    conv, done = found
    doc, merged = merge_ocr_pages(data, conv.document, f"ocr:{conv.backend}")
    return {"doc": doc, "data": merged, "pages": done, "conv": conv}
