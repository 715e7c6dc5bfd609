"""How much of a PDF page its images cover: a near-empty page mostly covered by a picture is a scan."""
from __future__ import annotations

EMPTY_PAGE_CHARS = 50      # a page with fewer non-blank characters is near-empty


def image_cover(page) -> float:
    """Share of a pypdfium2 page that its image objects cover (0..1)."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    if not width or not height:
        return 0.0
    area = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        left, bottom, right, top = obj.get_bounds()
        w = max(0.0, min(right, width) - max(left, 0.0))
        h = max(0.0, min(top, height) - max(bottom, 0.0))
        area += w * h
    return min(1.0, area / (width * height))
