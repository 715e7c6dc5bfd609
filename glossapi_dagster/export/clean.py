"""GlossAPI's Corpus.clean gates over the triage columns of the store: `filter`, `needs_ocr`,
and this project's `clean_keep` (the document goes into the training export).

GlossAPI's gates, on every document (GlossAPI looks only at PDFs, by their name: a PDF saved as
.docx, or a mojibake HTML page, went into the training text): char_count_no_comments == 0 ->
"is_empty"; with empty_char_threshold N > 0, fewer characters -> "empty_text<N" (or
"empty_text<N_short", no OCR, on documents under empty_min_pages pages); mojibake_badness_score >
threshold -> "mojibake>0.1" (threshold 0.10 by default). Every reason asks for OCR but the _short
one; a document OCR'd with success needs no more. Only a PDF can be OCR'd (what the bytes are: the
store's file_ext): another document a gate flags is kept out of the export without needs_ocr.
Tokens triage wrote that clean does not own (garbled_text, scanned_pages, or any a newer triage
adds) are kept, with triage's own needs_ocr. drop_bad keeps the documents that need OCR, or that a
gate flags, out of the export (GlossAPI's good_files: needs_ocr == False).

This project's gate on OCR'd text: a document whose OCR could not read UNREADABLE_SHARE of its pages
(store column ocr_unreadable_pages, backends/ocr/readability.py: handwriting, drawings) gets the
token "ocr_unreadable" and, with drop_bad, stays out of the export: more OCR would not read it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from ..state import ProgressStore

READ = ["stem", "filename", "file_ext", "extract_status", "char_count_no_comments", "page_count",
        "mojibake_badness_score", "filter", "needs_ocr", "ocr_success", "is_empty", "ocr_unreadable_pages"]
UNREADABLE = "ocr_unreadable"
UNREADABLE_SHARE = 0.25  # as triage's scanned_pages: a quarter of the pages is no stray page


@dataclass
class CleanReport:
    documents: int = 0
    kept: int = 0
    needs_ocr: int = 0
    reasons: dict = field(default_factory=dict)   # filter token -> documents
    good_files: list = field(default_factory=list)


def _owned(token: str) -> bool:
    return token in ("is_empty", UNREADABLE) or token.startswith("mojibake>") or token.startswith("empty_text<")


def unreadable(row: dict) -> bool:
    """OCR could not read UNREADABLE_SHARE of the document's pages (at least one)."""
    listed = [p for p in str(_value(row, "ocr_unreadable_pages") or "").split(",") if p.strip()]
    pages = _value(row, "page_count") or len(listed)
    return bool(listed) and len(listed) >= UNREADABLE_SHARE * pages


def _value(row: dict, name: str):
    value = row.get(name)
    return None if value is None or value is pd.NA or (isinstance(value, float) and value != value) else value


def decide(row: dict, threshold: float, drop_bad: bool, empty_char_threshold: int, empty_min_pages: int) -> dict:
    """One extracted document's clean decision: the store columns it sets."""
    ext = str(_value(row, "file_ext") or "").lower().lstrip(".")
    # what the bytes are (the scan's file_ext); a row from before the scan sniffed: its name
    is_pdf = ext == "pdf" if ext else str(_value(row, "filename") or "").lower().endswith(".pdf")
    kept_tokens = [t for t in str(_value(row, "filter") or "ok").split(";") if t and t != "ok" and not _owned(t)]
    reasons, ocr = [], False
    chars, pages = _value(row, "char_count_no_comments"), _value(row, "page_count") or 0
    mojibake = _value(row, "mojibake_badness_score")
    if chars is not None and chars <= 0:
        reasons.append("is_empty")
        ocr = True
    elif chars is not None and empty_char_threshold > 0 and chars < empty_char_threshold:
        if pages >= max(1, empty_min_pages):
            reasons.append(f"empty_text<{empty_char_threshold}")
            ocr = True
        elif empty_min_pages > 0:
            reasons.append(f"empty_text<{empty_char_threshold}_short")
    if mojibake is not None and mojibake > threshold:
        reasons.append(f"mojibake>{threshold:g}")
        ocr = True
    ocr = ocr or bool(kept_tokens and _value(row, "needs_ocr"))
    bad = ocr and not bool(_value(row, "ocr_success"))
    unread = unreadable(row)
    if unread:
        reasons.append(UNREADABLE)
    tokens = kept_tokens + [r for r in reasons if r not in kept_tokens]
    return {"stem": row["stem"], "filter": ";".join(tokens) or "ok", "needs_ocr": bad and is_pdf,
            "is_empty": bool(_value(row, "is_empty")) or "is_empty" in reasons,
            "clean_keep": not (bad or unread) if drop_bad else True}


def clean_store(store: ProgressStore, stems: set[str] | None = None, threshold: float = 0.10, drop_bad: bool = True,
                empty_char_threshold: int = 0, empty_min_pages: int = 0) -> CleanReport:
    """Decide every extracted document (of `stems`, when given) and record it in the store."""
    if not 0 <= threshold:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    if empty_char_threshold < 0 or empty_min_pages < 0:
        raise ValueError("empty_char_threshold and empty_min_pages must be >= 0")
    df = store.read(READ)
    if df.empty or "extract_status" not in df:
        return CleanReport()
    df = df[df["extract_status"] == "success"]
    if stems is not None:
        df = df[df["stem"].isin(stems)]
    rows = [decide(r, threshold, drop_bad, empty_char_threshold, empty_min_pages)
            for r in df.to_dict("records")]
    if rows:
        store.upsert(rows)
    reasons = Counter(t for r in rows for t in r["filter"].split(";") if t != "ok")
    return CleanReport(documents=len(rows), kept=sum(r["clean_keep"] for r in rows),
                       needs_ocr=sum(r["needs_ocr"] for r in rows), reasons=dict(sorted(reasons.items())),
                       good_files=sorted(r["stem"] for r in rows if r["clean_keep"]))
