"""GlossAPI's scripts, unchanged but for the import (and CPU workers), and the glossapi-dagster CLI."""
from __future__ import annotations

import os
import subprocess

import pytest
from dagster import DagsterInstance

from glossapi_dagster.runs import materialize_extraction, materialize_manifest
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import BIN, SAMPLE, copy_pdfs, expected_problems, resources

# Full-page OCR of all ~540 pages takes ~10 s a page on these CPUs: the whole corpus goes through,
# each document OCR'd on its first page only (the snippets themselves are unchanged).
OCR_PAGES = "1"


def test_glossapi_snippets_are_recorded_runs_matching_the_assets(tmp_path, corpus, dagster_home, monkeypatch):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN")
    OUT = tmp_path / "OUT"
    os.chdir(tmp_path)
    monkeypatch.setenv("GLOSSAPI_OCR_MAX_PAGES", OCR_PAGES)

    from glossapi_dagster import Corpus
    c = Corpus('IN', 'OUT')
    c.extract(input_format='pdf', use_gpus='multi', force_ocr=True, devices=[0, 1], accel_type='cpu')
    c = Corpus('OUT', 'OUT')
    c.ocr(use_gpus='multi', math_batch_size=12, devices=[0, 1], accel_type='cpu')

    rows = {r["stem"]: r for r in ProgressStore(OutputLayout(OUT).store_dir).read().to_dict("records")}
    assert set(rows) == {pdf.stem for pdf in IN.glob("*.pdf")}
    problematic = {s for s, r in rows.items() if r["extract_status"] == "problematic"}
    # OCR renders with pdfium: what it cannot open is problematic, with a reason; the rest is read
    unreadable = {pdf.stem for pdf in IN.glob("*.pdf") if not _pdfium_opens(pdf)}
    assert unreadable and unreadable <= problematic <= unreadable | set(expected_problems(corpus))
    assert all(rows[s]["extract_error"] for s in problematic)
    done = {s: r for s, r in rows.items() if s not in problematic}
    assert {r["extract_status"] for r in done.values()} == {"success"}
    # ocr_engine='auto': Tesseract, as the bundled RapidOCR recogniser has no Greek
    assert {r["extraction_backend"] for r in done.values()} == {"tesseract"}
    assert {r["page_count"] for r in done.values()} == {int(OCR_PAGES)}
    words = (OUT / "markdown" / "ocr_test.md").read_text(encoding="utf-8").lower()
    assert "docling bundles pdf document conversion to json and markdown" in words
    with DagsterInstance.get() as instance:
        jobs = [r.job_name for r in instance.get_runs()]
    assert {"manifest_job", "extract_job", "ocr_job", "math_job"} <= set(jobs)
    assert {r["math_status"] for r in done.values()} <= {"success", "no_math", "problematic"}

    # the same assets materialized directly give the same outputs
    direct = tmp_path / "DIRECT"
    res = resources(IN, direct)
    with DagsterInstance.get() as instance:
        assert materialize_manifest(instance, res).success
        assert materialize_extraction(instance, res, phase1_backend="auto", force_ocr=True).success
    layout = OutputLayout(OUT)
    for stem in done:  # Phase 2 rewrote some markdown since, keeping Phase 1's beside its sidecar
        phase1 = layout.sidecar("math", stem).with_suffix(".phase1.md")
        ours = (phase1 if phase1.exists() else layout.markdown(stem)).read_text(encoding="utf-8")
        assert ours == (direct / "markdown" / f"{stem}.md").read_text(encoding="utf-8"), stem


def _pdfium_opens(pdf) -> bool:
    import pypdfium2

    try:
        pypdfium2.PdfDocument(str(pdf)).close()
        return True
    except pypdfium2.PdfiumError:
        return False


def _cli(*args, env=None):
    return subprocess.run([str(BIN / "glossapi-dagster"), *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, **(env or {})})


def test_cli_extract_ocr_status_on_the_sample(tmp_path, dagster_home):
    out = tmp_path / "out"
    extract = _cli("extract", str(SAMPLE), str(out), "--input-format", "pdf", "--devices", "0,1", "--accel-type", "cpu")
    assert extract.returncode == 0, extract.stderr[-3000:]
    assert "extract: 4 processed, 2 problematic" in extract.stdout
    ocr = _cli("ocr", str(out), "--devices", "0,1", "--accel-type", "cpu", "--mode", "ocr_bad_then_math")
    assert ocr.returncode == 0, ocr.stderr[-3000:]
    status = _cli("status", str(out))
    assert status.returncode == 0, status.stderr
    assert "6 documents" in status.stdout and "extract success: 4" in status.stdout
    assert "extract problematic: 2" in status.stdout
    assert "--devices" in _cli("extract", "--help").stdout


@pytest.mark.parametrize("args, message", [
    (["extract", "IN", "OUT", "--input-format", "epub"], "unknown input_format 'epub'"),
    (["extract", "/nonexistent/folder", "OUT"], "does not exist"),
    # cuda asked for explicitly fails fast (the default, auto, would run on the CPU here)
    (["extract", "IN", "OUT", "--devices", "0,7", "--accel-type", "cuda"], "GPU preflight failed for devices [0, 7]"),
    (["ocr", "EMPTY", "--accel-type", "cpu"], "no progress store"),
    (["extract", "IN", "OUT", "--devices", "x"], "--devices takes comma-separated GPU ids"),
])
def test_cli_bad_arguments_get_one_clear_error(tmp_path, args, message):
    (tmp_path / "IN").mkdir()
    (tmp_path / "EMPTY").mkdir()
    args = [str(tmp_path / a) if a in ("IN", "OUT", "EMPTY") else a for a in args]
    done = _cli(*args)
    assert done.returncode == 2
    assert message in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / "OUT" / "markdown").exists()  # no work started
