"""What a phase leaves undone, in words, so that nothing is left behind silently: the documents
the store says need OCR or math that the phase cannot take (their file vanished, they are
skip-listed, they wait for OCR), and after a run, those it could have taken and did not."""
from __future__ import annotations

from collections import Counter

import pandas as pd

from ..state import KEY, ProgressStore

MATH_FINISHED = ("success", "no_math", "problematic", "fatal")
WHAT = {"ocr": "document(s) flagged needs_ocr not OCR'd", "math": "extracted PDF(s) not through math"}


def blocked_notes(store: ProgressStore, phase: str, skip: set[str] = frozenset(),
                  shards: set[str] | None = None) -> list[str]:
    """One line per reason the phase 'ocr' or 'math' cannot take documents that need it."""
    if phase not in WHAT:
        return []
    df = store.read([KEY, "shard", "file_ext", "extract_status", "needs_ocr", "ocr_success", "missing",
                     "math_status"])
    if df.empty or "extract_status" not in df:
        return []
    if shards is not None and "shard" in df:
        df = df[df["shard"].isin(shards)]
    extracted = _col(df, "extract_status").eq("success").fillna(False).to_numpy(dtype=bool)
    flagged = _true(df, "needs_ocr") & ~_true(df, "ocr_success")
    missing, listed = _true(df, "missing"), df[KEY].isin(skip).to_numpy(dtype=bool)
    why: Counter = Counter()
    if phase == "ocr":
        blocked = extracted & flagged & _col(df, "ocr_success").isna().to_numpy(dtype=bool)
    else:
        pdf = _col(df, "file_ext").astype("string").str.lower().eq("pdf").fillna(False).to_numpy(dtype=bool)
        finished = _col(df, "math_status").isin(MATH_FINISHED).fillna(False).to_numpy(dtype=bool)
        blocked = extracted & pdf & ~finished
        why["they wait for OCR (run the ocr_bad mode first)"] = int((blocked & flagged & ~missing & ~listed).sum())
    why["their input file is missing"] = int((blocked & missing).sum())
    why["they are on the skip-list"] = int((blocked & listed & ~missing).sum())
    return [f"{n} {WHAT[phase]}: {reason}" for reason, n in why.items() if n]


def left_note(store: ProgressStore, phase: str, skip: set[str] = frozenset()) -> str | None:
    """After a run of 'ocr' or 'math': the documents it could have taken and did not."""
    from ..state.phase_rows import math_targets, ocr_targets

    left = len(ocr_targets(store, skip=skip)) if phase == "ocr" else len(math_targets(store, None, skip=skip))
    return f"{left} {WHAT[phase]}: this run did not take them; run it again" if left else None


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df else pd.Series([None] * len(df), index=df.index, dtype="object")


def _true(df: pd.DataFrame, name: str):
    return _col(df, name).fillna(False).astype(bool).to_numpy(dtype=bool)
