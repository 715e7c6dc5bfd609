"""An item of a Docling JSON dict, page by page: a paragraph that goes on in the next column has a
box (`prov`) in each, with the span of its text there (`charspan`). Counting its whole text once
for each box would count it twice on its page: per-page text, characters and triage read each
box's own span."""
from __future__ import annotations


def item_pages(item: dict) -> list[tuple[int, str]]:
    """(page number, the text on it) for each of a text item's boxes (a list: most items have one
    box, and triage and the statistics ask for every item's)."""
    provs = item.get("prov") or ()
    text = item.get("text") or ""
    if len(provs) == 1:
        return [(int(provs[0]["page_no"]), text)]
    out = []
    for prov in provs:
        start, end = prov.get("charspan") or (0, len(text))
        out.append((int(prov["page_no"]), text[start:end]))
    return out
