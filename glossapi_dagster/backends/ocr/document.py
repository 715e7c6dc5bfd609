"""Pages of a PDF OCR'd by any engine (RapidOCR, Tesseract) into a DoclingDocument.

An engine has a `name` and `read(bitmap, dpi, extra_langs) -> [Line]` (pixel boxes of text
lines). Each page is rendered once with pdfium, its lines put in reading order (ocr_layout) and
added as one text item per paragraph, with its page and box in page coordinates (bottom-left
origin, as Docling's). `pages` chooses the pages (1-based); the others are left out.

Once every page is read, their text goes through the Greek repairs the text layer gets
(text_repairs.py), decided for the whole document, and each page's readability is measured
(readability.py): Conversion.repairs and Conversion.page_quality say what was found.
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from ...datamodel import settings
from ...state.filetype import is_pdf
from ..extract.base import Conversion, ConversionFailed, failure_reason
from .layout import paragraphs
from .page_langs import PageLanguages
from .readability import page_readability
from .text_repairs import repair_ocr_pages

def render_scale(width: float, height: float, dpi: int, max_side_len: int) -> float:
    return min(dpi / 72.0, max_side_len / max(width, height, 1.0))


def ocr_pdf(engine, path, pages=None, dpi: int = 200, max_side_len: int = 2000, max_pages: int | None = None,
            extra_langs: list[str] | None = None, log=None) -> Conversion:
    """OCR `pages` (1-based; every page when None) of a PDF, none beyond max_pages when that is set.

    Conversion.timings has render/ocr/layout seconds and `per_page`: {page_no: seconds}."""
    import pypdfium2 as pdfium

    started = time.perf_counter()
    if not is_pdf(path):  # the bytes decide, not the name: a PDF saved as paper.docx is OCR'd
        raise ConversionFailed(f"ocr: only PDFs can be OCR'd, not {Path(path).suffix or 'this file'}")
    try:
        pdf = pdfium.PdfDocument(os.fspath(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise ConversionFailed(failure_reason(path, str(exc))) from exc
    timings = {"render": 0.0, "ocr": 0.0, "layout": 0.0}
    per_page: dict[int, float] = {}
    try:
        total = len(pdf)
        if total == 0:
            raise ConversionFailed("empty: the PDF has no pages")
        last = min(total, max_pages) if max_pages else total  # max_pages: previews, CPU smoke runs
        chosen = list(range(1, last + 1)) if pages is None else sorted(p for p in set(pages) if 1 <= p <= last)
        read = {}
        reader = PageLanguages(engine, extra_langs) if hasattr(engine, "read_box") else None
        for page_no in chosen:
            t0 = time.perf_counter()
            read[page_no] = _page(engine, reader, pdf, page_no, timings, dpi, max_side_len, extra_langs)
            per_page[page_no] = round(time.perf_counter() - t0, 4)
    finally:
        pdf.close()
    if last < total and log is not None:
        log.info("ocr %s: first %d of %d pages (max_pages)", Path(path).name, len(chosen), total)
    t0 = time.perf_counter()
    texts, repairs = repair_ocr_pages({p: [para.text for para in r[2]] for p, r in read.items()},
                                      polytonic="grc" in (extra_langs or ()),
                                      polytonic_pages={p for p, r in read.items() if r[5]})
    quality = {p: {**page_readability(r[3], texts[p]), **({"langs": r[4]} if r[4] else {})} for p, r in read.items()}
    timings["repairs"] = time.perf_counter() - t0
    doc = new_document(path)
    for page_no, (size, scale, paras, *_) in read.items():
        _add_page(doc, page_no, size, scale, paras, texts[page_no])
    out = {k: round(v, 4) for k, v in timings.items()}
    out["per_page"] = per_page
    return Conversion(doc, len(chosen), time.perf_counter() - started, engine.name, out, repairs=repairs,
                      page_quality=quality)


def _add_page(doc, page_no: int, size: tuple[float, float], scale: tuple[float, float], paras, texts) -> None:
    """One OCR'd page into the document: a text item per paragraph (its repaired text), boxes in
    page coordinates."""
    from docling_core.types.doc import BoundingBox, CoordOrigin, DocItemLabel, ProvenanceItem, Size

    (width, height), (sx, sy) = size, scale
    doc.add_page(page_no=page_no, size=Size(width=width, height=height))
    for para, text in zip(paras, texts):
        bbox = BoundingBox(l=para.x0 / sx, t=height - para.y0 / sy, r=para.x1 / sx, b=height - para.y1 / sy,
                           coord_origin=CoordOrigin.BOTTOMLEFT)
        doc.add_text(label=DocItemLabel.TEXT, text=text,
                     prov=ProvenanceItem(page_no=page_no, bbox=bbox, charspan=(0, len(text))))


def _page(engine, reader, pdf, page_no: int, timings: dict, dpi: int, max_side_len: int, extra_langs):
    """((width, height), (x, y) pixels a point, paragraphs, lines, languages, polytonic) of one page,
    rendered and read (page_langs.py chooses the languages)."""
    import pypdfium2 as pdfium

    t0 = time.perf_counter()
    try:
        page = pdf[page_no - 1]
    except pdfium.PdfiumError as exc:
        raise ConversionFailed(f"corrupt: page {page_no} of {len(pdf)} cannot be loaded ({exc})") from exc
    try:
        width, height = page.get_size()
        scale = render_scale(width, height, dpi, max_side_len)
        bitmap = page.render(scale=scale)
    finally:
        page.close()
    t1 = time.perf_counter()
    if reader is not None:  # Tesseract: languages per page and line (page_langs.py)
        lines, langs, polytonic = reader.read(bitmap, round(72.0 * scale))
    else:
        lines, langs, polytonic = engine.read(bitmap, round(72.0 * scale), extra_langs), None, False
    t2 = time.perf_counter()
    sx, sy = bitmap.width / width, bitmap.height / height
    paras = paragraphs(lines)
    timings["render"] += t1 - t0
    timings["ocr"] += t2 - t1
    timings["layout"] += time.perf_counter() - t2
    return (width, height), (sx, sy), paras, lines, langs, polytonic


def new_document(path: str | Path):
    from docling_core.types.doc import DoclingDocument
    from docling_core.types.doc.document import DocumentOrigin

    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    origin = DocumentOrigin(mimetype="application/pdf", filename=path.name,
                            binary_hash=int.from_bytes(digest.digest()[:8], "big"))
    return DoclingDocument(name=path.stem, origin=origin)


class PageOcrExtractor:
    """An engine as a Phase-1 backend: convert(path) OCRs every page; convert(path, pages) some."""

    def __init__(self, engine, dpi: int = 200, max_side_len: int = 2000, max_pages: int | None = None,
                 log=None):
        if dpi < 36 or max_side_len < 200:
            raise ValueError(f"dpi must be >= 36 and max_side_len >= 200, got {dpi} and {max_side_len}")
        if max_pages is None:  # GLOSSAPI_OCR_MAX_PAGES, checked by the controller before the pool
            max_pages = settings().ocr_max_pages
        self.engine, self.dpi, self.max_side_len, self.max_pages, self.log = engine, dpi, max_side_len, max_pages, log

    @property
    def name(self) -> str:
        return self.engine.name

    def convert(self, path, pages=None, extra_langs: list[str] | None = None) -> Conversion:
        return ocr_pdf(self.engine, path, pages, self.dpi, self.max_side_len, self.max_pages, extra_langs, self.log)
