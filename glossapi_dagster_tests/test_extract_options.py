"""Extraction options: pipelines without weights, non-PDF formats, benchmark_mode, bad input_format."""
from __future__ import annotations

import logging

import pytest

from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor, ModelWeightsMissing
from glossapi_dagster.runs import materialize_extraction, materialize_manifest
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import copy_pdfs, resources


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    """Empty model caches: what this machine has, made explicit so the test means the same anywhere."""
    for var in ("HF_HOME", "DOCLING_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "empty-cache" / var))
    return tmp_path / "empty-cache"


def test_standard_pipeline_without_weights_fails_at_worker_start(tmp_path, corpus, instance, no_weights):
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["multicolumn.pdf", "code_and_formula.pdf"])
    res = resources(input_dir, tmp_path / "out")
    assert materialize_manifest(instance, res).success
    with pytest.raises(Exception) as failed:
        materialize_extraction(instance, res, phase1_backend="docling", pipeline="standard")
    message = str(failed.value)
    assert "docling-project/docling-layout-heron" in message
    assert "artifacts_path" in message and "pipeline='native'" in message
    # nothing was marked done, nothing problematic: the documents wait for a run that can do them
    rows = ProgressStore(OutputLayout(tmp_path / "out").store_dir).read()
    assert "extract_status" not in rows or rows["extract_status"].isna().all()


def test_auto_pipeline_falls_back_to_native_with_one_warning(no_weights, caplog):
    log = logging.getLogger("test-auto")
    with caplog.at_level(logging.WARNING, logger="test-auto"):
        extractor = DoclingExtractor("auto", threads=1, log=log)
    assert extractor.pipeline == "native"
    warnings = [r for r in caplog.records if r.name == "test-auto"]
    assert len(warnings) == 1 and "docling-layout-heron" in warnings[0].getMessage()
    with pytest.raises(ModelWeightsMissing, match="docling-project/docling-models"):
        DoclingExtractor("standard", threads=1)


def test_non_pdf_formats_and_benchmark_mode(tmp_path, corpus, instance):
    input_dir = tmp_path / "in"
    input_dir.mkdir()
    (input_dir / "notes.md").write_text("# Σημειώσεις\n\nΚείμενο στα ελληνικά με **έμφαση**.\n", encoding="utf-8")
    (input_dir / "page.html").write_text(
        "<html><body><h1>Τίτλος</h1><p>Μια παράγραφος HTML.</p><table><tr><td>α</td><td>β</td></tr></table>"
        "</body></html>", encoding="utf-8")
    copy_pdfs(corpus / "pdfs", input_dir, ["multicolumn.pdf"])
    out = tmp_path / "out"
    res = resources(input_dir, out)
    assert materialize_manifest(instance, res, input_format="all").success
    assert materialize_extraction(instance, res, phase1_backend="docling", benchmark_mode=True).success
    rows = {r["stem"]: r for r in ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")}
    assert set(rows) == {"notes", "page", "multicolumn"}
    assert {r["extract_status"] for r in rows.values()} == {"success"}
    layout = OutputLayout(out)
    assert "Κείμενο στα ελληνικά" in layout.markdown("notes").read_text(encoding="utf-8")
    assert "Μια παράγραφος HTML" in layout.markdown("page").read_text(encoding="utf-8")
    assert rows["page"]["file_ext"] == "html"
    # benchmark_mode: no per-document or per-page metrics files
    assert not (out / "json" / "metrics").exists() or not any((out / "json" / "metrics").iterdir())


def test_unknown_input_format_is_a_clear_error(tmp_path, instance):
    (tmp_path / "in").mkdir()
    res = resources(tmp_path / "in", tmp_path / "out")
    with pytest.raises(Exception, match="unknown input_format 'epub3'"):
        materialize_manifest(instance, res, input_format="epub3")
