"""An item of a Docling JSON dict, page by page: a paragraph that goes on in the next column has a
box (`prov`) in each, with the span of its text there (`charspan`). Counting its whole text once
for each box would count it twice on its page: per-page text, characters and triage read each
box's own span."""
from __future__ import annotations

from collections.abc import Iterator


def item_pages(item: dict) -> Iterator[tuple[int, str]]:
    """(page number, the text on it) for each of a text item's boxes."""
    provs = item.get("prov") or []
    text = item.get("text") or ""
    if len(provs) == 1:
        yield int(provs[0]["page_no"]), text
        return
    for prov in provs:
        start, end = prov.get("charspan") or (0, len(text))
        yield int(prov["page_no"]), text[start:end]
