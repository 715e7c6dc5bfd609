"""Text repairs of the Docling backend, as the safe backend makes them.

Greek kept: where docling-parse garbles a page that pdfium reads (cbgreek fonts come out as
dingbats and `a116` glyph names, LGR transliteration, U+FFFD), each text item of that page takes
pdfium's characters inside its box. Then every item goes through the one text stage
(backends/text_stage.py: the Unicode clean, the LGR decoding finished on the pages decoded, the
Greek repairs: lookalikes in Greek words become Greek, ...). Running headers and footers and bare
page numbers go to the furniture layer, a decoration's lone glyph to the background layer
(backends/extract/furniture.py). Returns what it repaired, page by page, as the safe backend
records it."""
from __future__ import annotations

import ctypes
import os
import re

from .furniture import find_decorations, find_furniture
from ..greek import lgr
from ..greek.pdfium_lgr import DECODED, char_text, decode_page, has_hint
from ..greek.chars import GREEK_CHAR
from ..text_stage import normalise_document

# what a garbled text layer is made of: U+FFFD, dingbats, private use, glyph names (a116)
_BAD = re.compile(r"[\ufffd\u2700-\u27bf\ue000-\uf8ff]|\ba\d{2,3}\b")
_GREEK = GREEK_CHAR
_LETTER = re.compile(r"[^\W\d_]")
# docling-parse gives way for a page when this share of its characters is garbage, or pdfium's
# text has this much more Greek among its letters (measured on the corpus: 4.5.chain_rule's
# docling pages 0.05-0.12 garbage and 0-0.07 Greek against pdfium's 0.56-0.88; clean Greek pages 0)
BAD_SHARE = 0.01
GREEK_GAIN = 0.2
# ... and only for a page pdfium reads as Greek (chain_rule's pages 0.56-0.88 of letters; the
# English and German pages docling-parse gives icons on, redp5110's and GeoTopo's, 0-0.1)
PDFIUM_GREEK = 0.3


def quality(text: str) -> tuple[float, float]:
    """(share of garbage characters, Greek share of letters)."""
    n = max(len(text) - text.count(" "), 1)
    letters = len(_LETTER.findall(text)) or 1
    return len(_BAD.findall(text)) / n, len(_GREEK.findall(text)) / letters


def repair_document(doc, pdf_path) -> dict[str, list[int]]:
    """A PDF's DoclingDocument repaired in place (pdfium's text where docling-parse garbles it, the
    text stage, furniture and decorations); returns each repair's pages."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    by_page: dict[int, list] = {}
    for item in doc.texts:
        if item.prov:
            by_page.setdefault(item.prov[0].page_no, []).append(item)
    repairs: dict[str, list[int]] = {"pdfium_text": [], DECODED: []}
    substituted = []  # items that took pdfium's text
    try:
        pdf = pdfium.PdfDocument(os.fspath(pdf_path))
    except (pdfium.PdfiumError, OSError):
        normalise_document(doc, repair=False)  # pdfium cannot open it: its text is cleaned alone, as ever
        return {}
    try:
        for page_no, items in sorted(by_page.items()):
            if not 1 <= page_no <= len(pdf):
                continue
            docling_text = " ".join(i.text for i in items)
            bad, greek = quality(docling_text)
            lgr_like = has_hint(docling_text)
            if bad <= BAD_SHARE and not lgr_like and greek > 0.5:
                continue  # a good Greek page, or no hint of trouble (a Latin page is checked below)
            page = pdf[page_no - 1]
            textpage = page.get_textpage()
            try:
                text = char_text(textpage.raw)
                state = None
                if has_hint(text):
                    text, state = decode_page(textpage.raw, text)
                pdfium_bad, pdfium_greek = quality(lgr.finish(text))
                if not (pdfium_greek >= PDFIUM_GREEK or state == DECODED):
                    continue  # keep Greek: a Latin page's odd characters (icons, private use) are Docling's to keep
                if not (pdfium_bad < bad or lgr_like and state == DECODED or pdfium_greek - greek > GREEK_GAIN):
                    continue
                height = page.get_height()
                boxes = _char_boxes(pdfium_c, textpage.raw, len(text))
                for item in items:
                    box = item.prov[0].bbox.to_bottom_left_origin(height)
                    chars = [text[i] if text[i] not in "\r\n" else " " for i, (x, y) in enumerate(boxes)
                             if box.l - 1 <= x <= box.r + 1 and box.b - 1 <= y <= box.t + 1]
                    new = " ".join("".join(chars).split())  # cleaned and finished by the text stage
                    if new.strip(lgr.GONE):
                        item.text = new
                        substituted.append(item)
                repairs["pdfium_text"].append(page_no)
                if state == DECODED:
                    repairs[DECODED].append(page_no)
            finally:
                textpage.close()
                page.close()
    finally:
        pdf.close()
    for name, pages in normalise_document(doc, set(repairs[DECODED])).items():
        repairs[name] = pages
    for item in substituted:  # pdfium's text has no other reading to keep: orig is the text, as the safe backend's
        item.orig = item.text
    repairs["decorations"] = mark_decorations(doc)  # first: a page number beside the coat of arms is alone on its row
    repairs["furniture"] = mark_furniture(doc)
    return {k: v for k, v in repairs.items() if v}


def _body_boxes(doc) -> tuple[list, list[tuple[int, float, object]]]:
    """The body's text items with a box, and (page_no, page height, box with a bottom-left origin) of each."""
    from docling_core.types.doc import ContentLayer

    heights = {no: page.size.height for no, page in doc.pages.items()}
    items, boxes = [], []
    for item in doc.texts:
        if item.prov and item.content_layer == ContentLayer.BODY and item.prov[0].page_no in heights:
            prov = item.prov[0]
            items.append(item)
            boxes.append((prov.page_no, heights[prov.page_no], prov.bbox.to_bottom_left_origin(heights[prov.page_no])))
    return items, boxes


def mark_decorations(doc) -> list[int]:
    """Docling's text items that are a decoration's lone glyph: the background layer. Returns their pages."""
    from docling_core.types.doc import ContentLayer

    items, boxes = _body_boxes(doc)
    found = find_decorations([(p, box.l, box.b, box.r, box.t, item.text, 1) for item, (p, _, box) in zip(items, boxes)])
    for index in found:
        items[index].content_layer = ContentLayer.BACKGROUND
    return sorted({boxes[i][0] for i in found})


def mark_furniture(doc) -> list[int]:
    """Docling's text items that repeat at one place on most pages, and bare page numbers:
    page_header / page_footer in the furniture layer (what the markdown leaves out). Returns their pages."""
    from docling_core.types.doc import ContentLayer, DocItemLabel

    items, boxes = _body_boxes(doc)
    lines = [(p, height, box.b, box.t, item.text) for item, (p, height, box) in zip(items, boxes)]
    found, _ = find_furniture(lines, len(doc.pages))
    labels = {"page_header": DocItemLabel.PAGE_HEADER, "page_footer": DocItemLabel.PAGE_FOOTER}
    for index, label in found.items():
        items[index].label = labels[label]
        items[index].content_layer = ContentLayer.FURNITURE
    return sorted({lines[i][0] for i in found})


def _char_boxes(pdfium_c, textpage, n: int) -> list[tuple[float, float]]:
    """Each character's centre (bottom-left origin); pdfium's own spaces and breaks far away."""
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    out = []
    for i in range(n):
        if pdfium_c.FPDFText_GetCharBox(textpage, i, left, right, bottom, top):
            out.append(((left.value + right.value) / 2, (bottom.value + top.value) / 2))
        else:
            out.append((-1e9, -1e9))
    return out
