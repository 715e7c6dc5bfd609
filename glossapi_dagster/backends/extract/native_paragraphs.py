"""A paragraph's lines as one text item, for Docling's native pipeline.

The native pipeline runs no layout model: it gives one text item per line of the PDF, in the
parser's order. Left so, every line is a paragraph of its own in the markdown, and a word broken
at the line end (`πολ-` / `λούς`) stays broken across two paragraphs. Lines that follow one another
in one column, in one size, one just below the other, are one paragraph, joined as the safe
backend joins its lines (backends/line_join.py). A heading (another size), a gap wider than the
leading (a new paragraph or block), a jump to another column or page starts a new item, and so
does a list item or paragraph that only its line's start or the line before's end shows
(paragraph_starts.py). Furniture
and decorations were moved out of the body before (docling_repairs.py): they are never joined."""
from __future__ import annotations

from ..line_join import join_pair
from ..paragraph_starts import split_at_starts

LINE_GAP = 0.65        # as the safe backend's: a gap over this share of a line's height ends a block
SIZE_TOLERANCE = 0.15  # lines' heights within this share are one size (a box's height is its font's)


def join_native_lines(doc) -> int:
    """Merge each paragraph's line items into its first, in place; returns how many items merged away."""
    from docling_core.types.doc import ContentLayer, DocItemLabel

    runs: list[list] = []  # [(item, box, page height)], lines one below the other
    last = None  # the box of the last line of the last run
    for item in doc.texts:
        prov = item.prov[0] if len(item.prov) == 1 else None
        if prov is None or item.label != DocItemLabel.TEXT or item.content_layer != ContentLayer.BODY:
            last = None
            continue
        height = doc.pages[prov.page_no].size.height if prov.page_no in doc.pages else None
        box = prov.bbox.to_bottom_left_origin(height) if height else None
        if box is None:
            last = None
            continue
        if last is not None and _continues(last, box, runs[-1][0][0].prov[0].page_no == prov.page_no):
            runs[-1].append((item, box, height))
        else:
            runs.append([(item, box, height)])
        last = box
    gone = []
    for run in runs:
        if len(run) < 2:
            continue
        size = sum(box.t - box.b for _, box, _ in run) / len(run)  # a line's box is its font's height
        cuts = split_at_starts([item.text for item, _, _ in run], [(box.l, box.r) for _, box, _ in run], size)
        for start, end in zip([0, *cuts], [*cuts, len(run)]):
            gone.extend(_merge(run[start:end]))
    if gone:
        doc.delete_items(node_items=gone)
    return len(gone)


def _merge(lines: list) -> list:
    """The lines' items joined into the first; returns the others."""
    from docling_core.types.doc import BoundingBox

    block, _, height = lines[0]
    for item, box, _ in lines[1:]:
        block.text = join_pair(block.text, item.text)
        block.orig = join_pair(block.orig, item.orig)
        block.prov[0].bbox = BoundingBox.enclosing_bbox([block.prov[0].bbox.to_bottom_left_origin(height), box])
    block.prov[0].charspan = (0, len(block.text))
    return [item for item, _, _ in lines[1:]]


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
