"""How much of a PDF page its images cover: a near-empty page mostly covered by a picture is a scan."""
from __future__ import annotations

import ctypes

EMPTY_PAGE_CHARS = 50      # a page with fewer non-blank characters is near-empty
FORM_DEPTH = 4             # Form XObjects nested this deep are looked into


def image_cover(page) -> float:
    """Share of a page that its image objects cover (0..1); page is pdfium's FPDF_PAGE handle
    (a pypdfium2 PdfPage's .raw): the safe backend works on raw handles, which spares pypdfium2's
    per-object bookkeeping."""
    import pypdfium2.raw as pdfium_c

    width, height = pdfium_c.FPDF_GetPageWidthF(page), pdfium_c.FPDF_GetPageHeightF(page)
    if not width or not height:
        return 0.0
    bounds = [ctypes.c_float() for _ in range(4)]
    refs = [ctypes.byref(v) for v in bounds]
    area = 0.0
    for obj in _images(pdfium_c, pdfium_c.FPDFPage_CountObjects(page), lambda i: pdfium_c.FPDFPage_GetObject(page, i)):
        if not pdfium_c.FPDFPageObj_GetBounds(obj, *refs):
            continue
        left, bottom, right, top = (v.value for v in bounds)
        w = max(0.0, min(right, width) - max(left, 0.0))
        h = max(0.0, min(top, height) - max(bottom, 0.0))
        area += w * h
    return min(1.0, area / (width * height))


def _images(pdfium_c, count: int, get, level: int = 0):
    """The image objects among `count` objects, and inside the Form XObjects among them."""
    for i in range(max(count, 0)):
        obj = get(i)
        if not obj:
            continue
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            yield obj
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and level < FORM_DEPTH - 1:
            yield from _images(pdfium_c, pdfium_c.FPDFFormObj_CountObjects(obj),
                               lambda j, form=obj: pdfium_c.FPDFFormObj_GetObject(form, j), level + 1)
