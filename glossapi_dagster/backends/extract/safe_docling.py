"""The safe backend's output: the Docling JSON, built as the dict docling-core would export
(its empty document is the template) rather than through docling-core's validated models, which
cost more than pdfium's own parsing; and the markdown, from the same blocks in the same order.
"""
from __future__ import annotations

from .safe_layout import Pages


def build_document(template: dict, name: str, pages: Pages,
           pictures: dict | None = None, first: int = 1) -> tuple[dict, str]:
    """The Docling JSON (as DoclingDocument.export_to_dict() gives it) and its markdown; pages
    numbered from `first` (a page range keeps the PDF's numbers); a picture comes before the
    first body block that starts below its top."""
    texts: list[dict] = []
    figures: list[dict] = []
    children: list[dict] = []
    page_sizes: dict[str, dict] = {}
    parts: list[str] = []
    body_ref, furniture_ref = {"$ref": "#/body"}, {"$ref": "#/furniture"}
    furniture: list[dict] = []
    for page_no, (width, height, blocks) in enumerate(pages, start=first):
        page_sizes[str(page_no)] = {"size": {"width": float(width), "height": float(height)}, "page_no": page_no}
        waiting = sorted((pictures or {}).get(page_no, ()), key=lambda box: -box[3])
        for block in blocks:
            while waiting and block.kind in ("text", "heading") and block.t <= waiting[0][3]:
                _picture(figures, children, parts, page_no, waiting.pop(0))
            text = block.text
            if not text:
                continue
            # on the page, as docling-core clamps a box when it loads one
            l, r = min(max(block.l, 0.0), width), min(max(block.r, 0.0), width)
            b, t = min(max(block.b, 0.0), height), min(max(block.t, 0.0), height)
            ref = f"#/texts/{len(texts)}"
            item = {"self_ref": ref, "parent": body_ref, "children": [], "content_layer": "body",
                    "label": "text",
                    "prov": [{"page_no": page_no,
                              "bbox": {"l": l, "t": t, "r": r, "b": b, "coord_origin": "BOTTOMLEFT"},
                              "charspan": [0, len(text)]}],
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
            if block.kind == "heading":
                item["label"] = "section_header"
                item["level"] = 1
                parts.append(f"## {text}")
            else:
                parts.append(text)
            children.append({"$ref": ref})
        for box in waiting:  # below every block of the page
            _picture(figures, children, parts, page_no, box)
    data = {**template, "name": name, "body": {**template["body"], "children": children}, "texts": texts,
            "pages": page_sizes}
    if figures:
        data["pictures"] = figures
    if furniture:
        data["furniture"] = {**template["furniture"], "children": furniture}
    return data, "\n\n".join(parts) + ("\n" if parts else "")


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
