"""A paragraph's lines as one text item, for Docling's native pipeline.

The native pipeline runs no layout model: it gives one text item per line of the PDF, in the
parser's order. Left so, every line is a paragraph of its own in the markdown, and a word broken
at the line end (`πολ-` / `λούς`) stays broken across two paragraphs. Lines that follow one another
in one column, in one size, one just below the other, are one paragraph, joined as the safe
backend joins its lines (backends/line_join.py). A heading (another size), a gap wider than the
leading (a new paragraph or block), a jump to another column or page starts a new item. Furniture
and decorations were moved out of the body before (docling_repairs.py): they are never joined."""
from __future__ import annotations

from ..line_join import join_pair

LINE_GAP = 0.65        # as the safe backend's: a gap over this share of a line's height ends a block
SIZE_TOLERANCE = 0.15  # lines' heights within this share are one size (a box's height is its font's)


def join_native_lines(doc) -> int:
    """Merge each paragraph's line items into its first, in place; returns how many items merged away."""
    from docling_core.types.doc import BoundingBox, ContentLayer, DocItemLabel

    gone = []
    block = last = None  # the item lines are joined into, and the box of its last line
    for item in doc.texts:
        prov = item.prov[0] if len(item.prov) == 1 else None
        if prov is None or item.label != DocItemLabel.TEXT or item.content_layer != ContentLayer.BODY:
            block = None
            continue
        height = doc.pages[prov.page_no].size.height if prov.page_no in doc.pages else None
        box = prov.bbox.to_bottom_left_origin(height) if height else None
        if box is None:
            block = None
            continue
        if block is not None and _continues(last, box, block.prov[0].page_no == prov.page_no):
            block.text = join_pair(block.text, item.text)
            block.orig = join_pair(block.orig, item.orig)
            merged = BoundingBox.enclosing_bbox([block.prov[0].bbox.to_bottom_left_origin(height), box])
            block.prov[0].bbox = merged
            block.prov[0].charspan = (0, len(block.text))
            gone.append(item)
        else:
            block = item
        last = box
    if gone:
        doc.delete_items(node_items=gone)
    return len(gone)


def _continues(last, box, same_page: bool) -> bool:
    """Whether the line in `box` continues the paragraph whose last line is in `last` (boxes with a
    bottom-left origin)."""
    if not same_page:
        return False
    h_last, h = last.t - last.b, box.t - box.b
    tall = max(h_last, h, 1.0)
    if abs(h_last - h) > SIZE_TOLERANCE * tall:
        return False
    gap = last.b - box.t                       # from the last line's foot down to this line's top
    if not -0.5 * tall <= gap <= LINE_GAP * tall:
        return False
    return box.l < last.r and box.r > last.l   # one column: the lines overlap across
