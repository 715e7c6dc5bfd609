"""GlossAPI's triage_math(): how much math each document holds, page by page, and whether Phase 2
should run on it, into the store.

The formulas per page come from what is known of them: Phase 2's latex_map (every formula it
found, decoded or not), else the Docling JSON's formula items (Docling's layout finds them). A
document extracted by the safe backend and not yet through Phase 2 has no formula count: its
formula columns stay empty and it is recommended for Phase 2, which is what finds its formulas
(GlossAPI's policy, "Phase 2 on any document with at least one formula", cannot be decided without it).
"""
from __future__ import annotations

import json
from collections import Counter

import numpy as np

from ..state import OutputLayout, ProgressStore
from ..state.artifacts import load_docling_json

COLUMNS = ("formula_total", "formula_avg_pp", "formula_p90_pp", "pages_with_formula", "phase_recommended")


def formulas_per_page(layout: OutputLayout, stem: str, backend: str | None) -> Counter | None:
    """page -> formulas; None when unknown."""
    latex_map = layout.latex_map(stem)
    if latex_map.is_file():
        pages: Counter = Counter()
        for line in latex_map.read_text(encoding="utf-8").splitlines():
            if line.strip():
                pages[int(json.loads(line).get("page_no") or 0)] += 1
        return pages
    if backend == "safe" or not layout.docling_json(stem).is_file():
        return None
    doc = load_docling_json(layout.docling_json(stem))
    return Counter(prov.get("page_no") for t in doc.get("texts", []) if t.get("label") == "formula"
                   for prov in (t.get("prov") or [])[:1])


def summary(pages: Counter, page_count: int) -> dict:
    """GlossAPI's figures: total, mean and 90th percentile per page (zeros counted), pages with one."""
    count = max(int(page_count or 0), max(pages, default=0), 1)
    per_page = [pages.get(p, 0) for p in range(1, count + 1)]
    total = int(sum(per_page))
    return {"formula_total": total, "formula_avg_pp": round(float(np.mean(per_page)), 3),
            "formula_p90_pp": round(float(np.quantile(per_page, 0.9)), 3),
            "pages_with_formula": sum(1 for c in per_page if c > 0),
            "phase_recommended": "2A" if total > 0 else "stop"}


def triage_math(out_dir) -> dict:
    """Every extracted PDF's math figures into the store; returns documents by recommendation
    (and 'unknown': recommended without a count)."""
    layout = OutputLayout(out_dir)
    store = ProgressStore(layout.store_dir)
    df = store.read(["stem", "file_ext", "extract_status", "page_count", "extraction_backend"])
    updates, counts = [], Counter()
    for row in df.to_dict("records"):
        if row.get("extract_status") != "success" or str(row.get("file_ext") or "pdf").lower() != "pdf":
            continue
        backend = row.get("extraction_backend") if isinstance(row.get("extraction_backend"), str) else None
        pages = formulas_per_page(layout, row["stem"], backend)
        if pages is None:
            updates.append({"stem": row["stem"], "phase_recommended": "2A"})
            counts["unknown"] += 1
            continue
        page_count = row.get("page_count")
        figures = summary(pages, 0 if page_count is None or page_count != page_count else int(page_count))
        updates.append({"stem": row["stem"], **figures})
        counts[figures["phase_recommended"]] += 1
    if updates:
        store.upsert(updates)
    return dict(counts)
