"""The safe backend's output: the Docling JSON, built as the dict docling-core would export
(its empty document is the template) rather than through docling-core's validated models, which
cost more than pdfium's own parsing; and the markdown, from the same blocks in the same order.
"""
from __future__ import annotations

from ..line_join import join_pair
from ..page_joins import PAGE_BREAK, join_over_pages
from ..paragraph_starts import goes_on_in_next_column
from .safe_layout import Pages
from .safe_lines import SIZE_TOLERANCE


def build_document(template: dict, name: str, pages: Pages, pictures: dict | None = None, first: int = 1,
                   body_size: float | None = None) -> tuple[dict, str, bool]:
    """The Docling JSON (as DoclingDocument.export_to_dict() gives it), its markdown, and whether
    the last page's last paragraph may go on over the next page break; pages numbered from
    `first` (a page range keeps the PDF's numbers); a picture comes before the first body block
    that starts below its top. A page's last paragraph may go on (page_joins) when it is text in
    the body's size (body_size): a footnote or a line of small print at the page's foot, not
    taken for furniture, ends where it stands."""
    texts: list[dict] = []
    figures: list[dict] = []
    children: list[dict] = []
    page_sizes: dict[str, dict] = {}
    parts: list[str] = []
    body_ref, furniture_ref = {"$ref": "#/body"}, {"$ref": "#/furniture"}
    furniture: list[dict] = []
    last = None  # (item, block, page) of the last body paragraph, while nothing else came after it
    ends_open = False  # the page before's last paragraph may go on
    for page_no, (width, height, blocks) in enumerate(pages, start=first):
        page_sizes[str(page_no)] = {"size": {"width": float(width), "height": float(height)}, "page_no": page_no}
        if ends_open and parts[-1] != PAGE_BREAK:
            parts.append(PAGE_BREAK)  # the paragraph may go on over it (page_joins)
        waiting = sorted((pictures or {}).get(page_no, ()), key=lambda box: -box[3])
        for block in blocks:
            while waiting and block.kind in ("text", "heading") and block.t <= waiting[0][3]:
                _picture(figures, children, parts, page_no, waiting.pop(0))
                last = None
            text = block.text
            if not text:
                continue
            # on the page, as docling-core clamps a box when it loads one
            l, r = min(max(block.l, 0.0), width), min(max(block.r, 0.0), width)
            b, t = min(max(block.b, 0.0), height), min(max(block.t, 0.0), height)
            box = {"l": l, "t": t, "r": r, "b": b, "coord_origin": "BOTTOMLEFT"}
            if block.kind == "text" and last is not None and _continues(last, block, page_no):
                item = last[0]  # the paragraph goes on in this column: one item, a box in each
                item["text"] = item["orig"] = parts[-1] = joined = join_pair(item["text"], text)
                span = item["prov"][-1]["charspan"]  # a hyphen dropped at the break shortens it
                span[1] = min(span[1], len(joined) - len(text))
                item["prov"].append({"page_no": page_no, "bbox": box, "charspan": [len(joined) - len(text), len(joined)]})
                last = (item, block, page_no)
                continue
            ref = f"#/texts/{len(texts)}"
            item = {"self_ref": ref, "parent": body_ref, "children": [], "content_layer": "body",
                    "label": "text",
                    "prov": [{"page_no": page_no, "bbox": box, "charspan": [0, len(text)]}],
                    "orig": text, "text": text}
            texts.append(item)
            if block.kind.startswith("page_"):  # page_header / page_footer: furniture, not the body
                item.update(label=block.kind, content_layer="furniture", parent=furniture_ref)
                furniture.append({"$ref": ref})
                continue
            if block.kind == "decoration":  # a glyph of an emblem or ornament: the page's background
                item.update(content_layer="background", parent=furniture_ref)
                furniture.append({"$ref": ref})
                continue
            if block.kind == "heading":  # (furniture and decorations above do not end a paragraph's run)
                last = None
                item["label"] = "section_header"
                item["level"] = 1
                parts.append(f"## {text}")
            else:
                parts.append(text)
                last = (item, block, page_no)
            children.append({"$ref": ref})
        for box in waiting:  # below every block of the page
            _picture(figures, children, parts, page_no, box)
            last = None
        ends_open = last is not None and (body_size is None or abs(_size(last[1]) - body_size) <= SIZE_TOLERANCE)
    data = {**template, "name": name, "body": {**template["body"], "children": children}, "texts": texts,
            "pages": page_sizes}
    if figures:
        data["pictures"] = figures
    if furniture:
        data["furniture"] = {**template["furniture"], "children": furniture}
    return data, join_over_pages("\n\n".join(parts) + ("\n" if parts else "")), ends_open


def _continues(last: tuple, block, page_no: int) -> bool:
    """Whether block, the next body block in reading order, goes on with the paragraph in `last`
    (paragraph_starts.goes_on_in_next_column)."""
    item, previous, previous_page = last
    if page_no != previous_page or block.t <= previous.b:  # most blocks: below the last, on its page
        return False  # (goes_on_in_next_column's first two tests, before the sizes and the text)
    size, previous_size = _size(block), _size(previous)
    return goes_on_in_next_column(item["text"], block.text, page_no == previous_page, block.t, previous.b,
                                  abs(size - previous_size) <= SIZE_TOLERANCE)


def _size(block) -> float:
    return block.size_sum / len(block.lines)


def _picture(figures: list[dict], children: list[dict], parts: list[str], page_no: int, box) -> None:
    """A picture item (as docling-core exports one: no image data, no caption) and its markdown."""
    l, b, r, t = box
    ref = f"#/pictures/{len(figures)}"
    figures.append({"self_ref": ref, "parent": {"$ref": "#/body"}, "children": [], "content_layer": "body",
                    "label": "picture",
                    "prov": [{"page_no": page_no,
                              "bbox": {"l": l, "t": t, "r": r, "b": b, "coord_origin": "BOTTOMLEFT"},
                              "charspan": [0, 0]}],
                    "captions": [], "references": [], "footnotes": [], "annotations": []})
    children.append({"$ref": ref})
    parts.append("<!-- image -->")
