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


# An image smaller than this share of its page is an icon, a bullet or a rule, not a figure (the
# corpus's figures that Docling calls pictures: 0.9%-39% of their page).
MIN_PICTURE = 0.005


def image_boxes(page, width: float, height: float) -> list[tuple[float, float, float, float]]:
    """The boxes (l, b, r, t; on the page) of its image objects, those that touch or overlap
    merged into one (a picture cut into strips or tiles), each at least MIN_PICTURE of the page.
    Every page's objects are looked at: two C calls an object, in a plain loop."""
    import pypdfium2.raw as pdfium_c

    get, kind = _plain_calls()
    image, form = pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM
    found = []
    handle = ctypes.cast(page, ctypes.c_void_p).value
    for i in range(pdfium_c.FPDFPage_CountObjects(page)):
        obj = get(handle, i)
        k = kind(obj)
        if k == image:
            found.append(ctypes.cast(obj, pdfium_c.FPDF_PAGEOBJECT))
        elif k == form:
            form_obj = ctypes.cast(obj, pdfium_c.FPDF_PAGEOBJECT)
            found += _images(pdfium_c, pdfium_c.FPDFFormObj_CountObjects(form_obj),
                             lambda j, f=form_obj: pdfium_c.FPDFFormObj_GetObject(f, j), 1)
    if not found:
        return []
    bounds = [ctypes.c_float() for _ in range(4)]
    refs = [ctypes.byref(v) for v in bounds]
    boxes: list[list[float]] = []
    for obj in found:
        if not pdfium_c.FPDFPageObj_GetBounds(obj, *refs):
            continue
        left, bottom, right, top = (v.value for v in bounds)
        box = [max(left, 0.0), max(bottom, 0.0), min(right, width), min(top, height)]
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        for other in [o for o in boxes if o[0] <= box[2] and box[0] <= o[2] and o[1] <= box[3] and box[1] <= o[3]]:
            boxes.remove(other)
            box = [min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3])]
        boxes.append(box)
    least = MIN_PICTURE * width * height
    return [tuple(b) for b in boxes if (b[2] - b[0]) * (b[3] - b[1]) >= least]



_PLAIN: tuple = ()


def _plain_calls():
    """FPDFPage_GetObject and FPDFPageObj_GetType on plain addresses (pdfium_text.plain_call):
    made on first use, so that importing this module needs no pypdfium2."""
    global _PLAIN
    if not _PLAIN:
        import pypdfium2.raw as pdfium_c

        from .pdfium_text import plain_call

        _PLAIN = (plain_call(pdfium_c.FPDFPage_GetObject, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int),
                  plain_call(pdfium_c.FPDFPageObj_GetType, ctypes.c_int, ctypes.c_void_p))
    return _PLAIN
