"""Issue 24, silent loss and corruption: what a careful user does with the CLI and Corpus (no
DAGSTER_HOME unless said) loses no document. Real CLI processes, real workers, real PDFs."""
from __future__ import annotations

import pytest

from glossapi_dagster import Corpus

from .conftest import copy_pdfs
from .user_runs import POOL, cli, errors, rows


@pytest.fixture(autouse=True)
def _ephemeral_instance(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


# -- 1. ocr and Phase 2 on a throw-away instance -----------------------------------------------
@pytest.mark.timeout(300)
def test_ocr_and_math_find_their_work_on_a_throwaway_instance(tmp_path, corpus):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", ["ocr_test.pdf"])  # scanned: triage flags it needs_ocr
    OUT = tmp_path / "OUT"
    assert cli("extract", IN, OUT, *POOL).returncode == 0
    assert rows(OUT)["ocr_test"]["needs_ocr"] is True

    early = cli("ocr", OUT, "--mode", "math_only", *POOL)  # before its OCR: Phase 2 cannot take it, and says so
    assert early.returncode == 0, early.stderr[-3000:]
    assert "1 extracted PDF(s) not through math: they wait for OCR" in early.stderr, errors(early.stderr)

    ocr = cli("ocr", OUT, "--mode", "ocr_bad", "--ocr-engine", "tesseract", *POOL)
    assert ocr.returncode == 0, ocr.stderr[-3000:]
    assert "ocr_bad: 1 processed, 0 problematic" in ocr.stdout, ocr.stdout
    row = rows(OUT)["ocr_test"]
    assert row["ocr_success"] is True and row["needs_ocr"] is False and row["ocr_pages"] == 1

    # README's Python flow, in one process on another throw-away instance: Phase 2 finds the OCR'd PDF
    summary = Corpus(OUT, OUT, progress=False).ocr(mode="math_only", accel_type="cpu", devices=[0])
    assert summary.processed == 1 and not summary.notes, str(summary)
    assert rows(OUT)["ocr_test"]["math_status"] in ("success", "no_math")
