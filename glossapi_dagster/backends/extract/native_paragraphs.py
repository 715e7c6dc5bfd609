"""A paragraph's lines as one text item, for Docling's native pipeline.

The native pipeline runs no layout model: it gives one text item per line of the PDF, in the
parser's order. Left so, every line is a paragraph of its own in the markdown, and a word broken
at the line end (`πολ-` / `λούς`) stays broken across two paragraphs. Lines that follow one another
in one column, in one size, one just below the other, are one paragraph, joined as the safe
backend joins its lines (backends/line_join.py). A heading (another size), a gap wider than the
leading (a new paragraph or block), a jump to another column or page starts a new item, and so
does a list item or paragraph that only its line's start or the line before's end shows
(paragraph_starts.py). A paragraph that goes on at the next column's top, in lower case,
after one that stopped mid-sentence, is one item with a box in each (paragraph_starts.goes_on).
Furniture and decorations were moved out of the body before (docling_repairs.py): they are never
joined, and a running header between two columns does not end a paragraph."""
from __future__ import annotations

from collections import Counter

from ..line_join import join_pair
from .line_spacing import page_line_spacing, same_spacing, starts_run
from ..paragraph_starts import goes_on_in_next_column, split_at_starts

LINE_GAP = 0.65        # as the safe backend's: a gap over this share of a line's height ends a block
SIZE_TOLERANCE = 0.15  # lines' heights within this share are one size (a box's height is its font's)


def join_native_lines(doc):
    """The document with each paragraph's line items merged into its first (doc itself when no
    line was merged; a new document otherwise: see _without)."""
    from docling_core.types.doc import ContentLayer, DocItemLabel

    spacing = _page_spacings(doc)
    runs: list[list] = []  # [(item, box, page height)], lines one below the other
    linked: list[bool] = []  # a run follows the one before with only furniture between
    last, broken = None, True  # the box of the last line of the last run; a body item since it
    for item in doc.texts:
        prov = item.prov[0] if len(item.prov) == 1 else None
        if item.content_layer != ContentLayer.BODY:
            last = None  # a running header ends a column's run, not the paragraph's flow
            continue
        if prov is None or item.label != DocItemLabel.TEXT:
            last, broken = None, True
            continue
        height = doc.pages[prov.page_no].size.height if prov.page_no in doc.pages else None
        box = prov.bbox.to_bottom_left_origin(height) if height else None
        if box is None:
            last, broken = None, True
            continue
        same_page = last is not None and runs[-1][0][0].prov[0].page_no == prov.page_no
        if last is not None and (_continues(last, box, same_page) or (
                same_page and _spaced(runs[-1][-1][0].text, last, item.text, box, spacing.get(prov.page_no)))):
            runs[-1].append((item, box, height))
        else:
            runs.append([(item, box, height)])
            linked.append(not broken)
        last, broken = box, False
    gone = []
    tail = None  # (paragraph item, its last line's box, page, line height) ending the last run
    for run, follows in zip(runs, linked):
        size = sum(box.t - box.b for _, box, _ in run) / len(run)  # a line's box is its font's height
        cuts = split_at_starts([item.text for item, _, _ in run], [(box.l, box.r) for _, box, _ in run],
                               size) if len(run) > 1 else []
        paragraphs = [run[start:end] for start, end in zip([0, *cuts], [*cuts, len(run)])]
        first = paragraphs[0][0]
        page = first[0].prov[0].page_no
        if follows and tail is not None and _goes_on(tail, first[1], page, size, first[0].text):
            gone.extend(_merge(paragraphs.pop(0)))
            _append(tail[0], first[0], first[2])
            gone.append(first[0])
            tail = (tail[0], run[-1][1], page, size)
        for lines in paragraphs:
            gone.extend(_merge(lines))
            tail = (lines[0][0], lines[-1][1], page, size)
    return _without(doc, gone) if gone else doc


def _without(doc, gone: list):
    """doc without the `gone` items, rebuilt from its dict with the other texts renumbered.
    docling-core's delete_items finds each item by comparing pydantic models one by one and walks
    the whole tree for each: 53 s for the 1,400 lines of 30 gazette pages (Docling's own
    conversion: 5 s), where one pass over the dict is linear."""
    from docling_core.types.doc import DoclingDocument

    dropped = {item.self_ref for item in gone}
    data = doc.export_to_dict()
    kept = [item for item in data["texts"] if item["self_ref"] not in dropped]
    moved = {item["self_ref"]: f"#/texts/{i}" for i, item in enumerate(kept)}
    data["texts"] = kept

    def fix(obj):
        if isinstance(obj, dict):
            return {k: moved.get(v, v) if k in ("$ref", "self_ref") and isinstance(v, str) else fix(v)
                    for k, v in obj.items()}
        if isinstance(obj, list):
            return [fix(v) for v in obj if not (isinstance(v, dict) and v.get("$ref") in dropped)]
        return obj

    return DoclingDocument.model_validate(fix(data))


def _goes_on(tail: tuple, box, page: int, size: float, text: str) -> bool:
    """Whether the run starting at `box` on `page` goes on with the paragraph in `tail`
    (paragraph_starts.goes_on_in_next_column)."""
    item, last, last_page, last_size = tail
    return goes_on_in_next_column(item.text, text, page == last_page, box.t, last.b,
                                  abs(size - last_size) <= SIZE_TOLERANCE * max(size, last_size, 1.0))


def _append(paragraph, item, height) -> None:
    """item (a paragraph at the next column's top) joined to paragraph, its box a second prov."""
    joined = join_pair(paragraph.text, item.text)
    span = paragraph.prov[-1].charspan  # a hyphen dropped at the break shortens it
    paragraph.prov[-1].charspan = (span[0], min(span[1], len(joined) - len(item.text)))
    prov = item.prov[0].model_copy()
    prov.charspan = (len(joined) - len(item.text), len(joined))
    paragraph.text, paragraph.orig = joined, join_pair(paragraph.orig, item.orig)
    paragraph.prov.append(prov)


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


def _page_spacings(doc) -> dict[int, tuple]:
    """Each page set with wide line spacing: (its line spacing, a line's height, its lines' boxes)
    (line_spacing.page_line_spacing: its most common gap between consecutive lines of one size and
    column, one the joining below splits at)."""
    from docling_core.types.doc import ContentLayer, DocItemLabel

    pages: dict[int, list] = {}
    for item in doc.texts:
        if item.content_layer == ContentLayer.BODY and item.label == DocItemLabel.TEXT and len(item.prov) == 1:
            prov = item.prov[0]
            if prov.page_no in doc.pages:
                pages.setdefault(prov.page_no, []).append(prov.bbox.to_bottom_left_origin(doc.pages[prov.page_no].size.height))
    out = {}
    for page_no, boxes in pages.items():
        gaps: Counter = Counter()
        for above, below in zip(boxes, boxes[1:]):
            if _one_size(above, below) and below.l < above.r and above.l < below.r:
                gaps[round(above.b - below.t)] += 1
        found = page_line_spacing(gaps, [box.t - box.b for box in boxes], LINE_GAP) if len(boxes) > 3 else None
        if found is not None:
            out[page_no] = (*found, boxes)
    return out


def _spaced(above: str, last, below: str, box, page: tuple | None) -> bool:
    """Whether the line `below` in `box` goes on the one in `last` on a page set with wide line
    spacing (`page`: _page_spacings'), one line spacing below it, in one size and column, not
    starting a paragraph (line_spacing.starts_run, read against the column)."""
    if page is None or not (_one_size(last, box) and box.l < last.r and last.l < box.r):
        return False
    spacing, height, boxes = page
    if not same_spacing(last.b - box.t, spacing, height):
        return False
    column = [b for b in boxes if b.l < box.r and box.l < b.r]
    return not starts_run(above, (last.l, last.r), below, box.l, box.t - box.b,
                          (min(b.l for b in column), max(b.r for b in column)))


def _one_size(a, b) -> bool:
    h_a, h_b = a.t - a.b, b.t - b.b
    return abs(h_a - h_b) <= SIZE_TOLERANCE * max(h_a, h_b, 1.0)


def _continues(last, box, same_page: bool) -> bool:
    """Whether the line in `box` continues the paragraph whose last line is in `last` (boxes with a
    bottom-left origin)."""
    if not same_page or not _one_size(last, box):
        return False
    tall = max(last.t - last.b, box.t - box.b, 1.0)
    gap = last.b - box.t                       # from the last line's foot down to this line's top
    if not -0.5 * tall <= gap <= LINE_GAP * tall:
        return False
    return box.l < last.r and box.r > last.l   # one column: the lines overlap across
