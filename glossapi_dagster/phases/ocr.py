"""OCR remediation (GlossAPI's ocr(mode='ocr_bad')): the documents triage flagged `needs_ocr`
are extracted again with full-page RapidOCR, replacing their markdown and Docling JSON; the store
records `ocr_success` (and `ocr_error` when it failed). Nothing else is touched."""
from __future__ import annotations

from ..pool import FATAL, SKIPPED, SUCCESS, ItemOutcome
from ..state import KEY, OutputLayout, ProgressStore
from .extract import ExtractTask
from .triage import TRIAGE_COLUMNS


def ocr_targets(store: ProgressStore, stems: set[str] | None = None, reprocess: bool = False,
                skip: set[str] = frozenset()) -> list[str]:
    """Stems extracted successfully, flagged needs_ocr, not OCR'd yet (a failed OCR again only with
    reprocess), not vanished, not skip-listed; restricted to `stems` when given."""
    df = store.read([KEY, "extract_status", "needs_ocr", "ocr_success", "missing"])
    if df.empty or "needs_ocr" not in df or "extract_status" not in df:
        return []

    def col(name):
        return df[name] if name in df else None

    todo = col("extract_status").eq("success").fillna(False) & col("needs_ocr").fillna(False).astype(bool)
    done = col("ocr_success")
    if done is not None:
        tried = done.notna()
        todo &= ~(done.fillna(False).astype(bool))
        if not reprocess:
            todo &= ~tried
    if col("missing") is not None:
        todo &= ~col("missing").fillna(False).astype(bool)
    found = df.loc[todo.to_numpy(dtype=bool), KEY].tolist()
    return [s for s in found if (stems is None or s in stems) and s not in skip]


def ocr_row(stem: str, outcome: ItemOutcome) -> dict:
    """A pool outcome of the OCR pass as a store row; extraction's own columns stay as they were."""
    row = {KEY: stem, "processing_stage": "ocr", "worker": outcome.worker}
    if outcome.status == SUCCESS:
        r = outcome.result
        row.update({k: r[k] for k in TRIAGE_COLUMNS if k in r})
        row.update(ocr_success=True, ocr_error=None, needs_ocr=False, ocr_sec=r["extract_sec"],
                   extraction_backend=r["extraction_backend"], greek_ratio=r["greek_ratio"], chars=r["chars"])
    elif outcome.status == SKIPPED:  # not tried to the end (the run stopped): left for the next run
        row["ocr_error"] = f"skipped: {outcome.error}"
    else:
        row.update(ocr_success=False, ocr_error=outcome.error or outcome.status)
        if outcome.status == FATAL:
            row["ocr_error"] = f"fatal: {row['ocr_error']}"
    return row


def run_ocr(out_dir, rows: list[dict], config, on_summary=None, on_pool=None, accel_type: str = "cuda",
            ocr_options: dict | None = None, benchmark_mode: bool = False):
    """OCR the given store rows (each with `stem` and `path`) on the pool; returns its report."""
    from ..state import SkipList
    from .runner import run_on_pool

    layout = OutputLayout(out_dir)
    stem_of = {r["path"]: r["stem"] for r in rows}
    task = ExtractTask(str(layout.root), stem_of, force_ocr=True, accel_type=accel_type,
                       ocr_options=dict(ocr_options or {}), benchmark_mode=benchmark_mode)
    return run_on_pool(task, stem_of, config, ProgressStore(layout.store_dir), SkipList(layout.skiplist),
                       ocr_row, on_summary, on_pool)
