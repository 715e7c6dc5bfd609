"""Text statistics of an extracted document: characters and Greek share of its markdown, and
characters and text items per page of its Docling JSON (the metrics files and store columns)."""
from __future__ import annotations

from collections import Counter

from ..item_pages import item_pages
from .charclass import GREEK, LETTER, count_classes


def text_stats(text: str) -> dict:
    counts = count_classes(text)
    letters, greek = counts[LETTER], counts[GREEK]
    return {"chars": len(text), "letters": letters, "greek_letters": greek,
            "greek_ratio": round(greek / letters, 4) if letters else 0.0}


def per_page_stats(doc: dict) -> list[dict]:
    """Characters and text items per page of a Docling JSON dict."""
    chars, items = Counter(), Counter()
    for item in doc.get("texts") or []:
        for page_no, text in item_pages(item):
            chars[page_no] += len(text)
            items[page_no] += 1
    pages = sorted(int(p) for p in doc.get("pages") or {}) or sorted(chars)
    return [{"page_no": p, "chars": chars[p], "text_items": items[p]} for p in pages]
