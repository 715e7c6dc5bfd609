"""Phase 1 through Dagster: the whole test corpus, 2 workers (devices [0, 1]), a real instance."""
from __future__ import annotations

import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from dagster import AssetKey

from glossapi_dagster.runs import materialize_extraction, materialize_manifest
from glossapi_dagster.state.artifacts import load_docling_json
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import copy_pdfs, expected_extract, expected_problems, read_sources, resources, temp_instance

GREEK = ("SampleThesis-GR", "FEK_A_10_-_24.01.2018", "FEK_A_5_-_17.01.2018", "typologio_mas026")


@pytest.fixture(scope="module")
def run(tmp_path_factory, corpus):
    """Materialize download_results, then the extraction of every shard, once for the module."""
    tmp = tmp_path_factory.mktemp("extract")
    input_dir = copy_pdfs(corpus / "pdfs", tmp / "in")
    out = tmp / "out"
    res = resources(input_dir, out)
    with temp_instance(tmp) as instance:
        manifest = materialize_manifest(instance, res, shard_size=10)
        extraction = materialize_extraction(instance, res, phase1_backend="docling")
        yield {"instance": instance, "in": input_dir, "out": out, "res": res,
               "manifest": manifest, "extraction": extraction,
               "store": ProgressStore(OutputLayout(out).store_dir)}


def _rows(run) -> dict[str, dict]:
    return {r["stem"]: r for r in run["store"].read().to_dict("records")}


def test_shards_registered_and_one_run_for_all(run):
    assert run["manifest"].success and run["extraction"].success
    shards = run["instance"].get_dynamic_partitions("shards")
    files = len(list(run["in"].glob("*.pdf")))
    assert shards == [f"shard-{i:05d}" for i in range(-(-files // 10))]  # 10 files per shard
    assert {r["shard"] for r in _rows(run).values()} == set(shards)
    # a single run materialized every shard (a partition range in one run, as Corpus runs it)
    mats = run["extraction"].asset_materializations_for_node("extracted_docs")
    assert sorted(m.partition for m in mats) == shards


def test_every_file_has_an_outcome(run, corpus):
    rows = _rows(run)
    assert len(rows) == len(list((corpus / "pdfs").glob("*.pdf")))
    for stem, row in rows.items():
        assert row["extract_status"] in ("success", "problematic"), stem
        if row["extract_status"] == "problematic":
            assert row["extract_error"], stem
    for stem, reason in expected_problems(corpus).items():
        assert rows[stem]["extract_status"] == "problematic"
        assert rows[stem]["extract_error"].startswith(reason), rows[stem]["extract_error"]
    assert run["store"].pending() == []


def test_good_documents_have_markdown_and_docling_json(run, corpus):
    from docling_core.types.doc import DoclingDocument

    layout = OutputLayout(run["out"])
    pages = {}
    for line in (corpus / "SOURCES.tsv").read_text().splitlines()[1:]:
        cols = line.split("\t")
        if cols[0].startswith("pdfs/") and cols[6].isdigit():
            pages[Path(cols[0]).stem] = int(cols[6])
    good = [r for r in _rows(run).values() if r["extract_status"] == "success" and not r["needs_ocr"]]
    # triage may send to OCR what SOURCES.tsv describes as scanned, hybrid, garbled or in a legacy font
    doubtful = [r for r in read_sources(corpus) if re.search(r"SCANNED|HYBRID|GARBLED|GARBAGE|broken ToUnicode",
                                                             r["notes"])]
    successes = [s for s, want in expected_extract(corpus).items() if want == "success"]
    assert len(good) >= len(successes) - len(doubtful)
    for row in good:
        stem = row["stem"]
        assert layout.markdown(stem).read_text(encoding="utf-8").strip(), stem
        doc = DoclingDocument.model_validate(load_docling_json(layout.docling_json(stem)))
        assert len(doc.texts) > 0, stem
        if stem in pages:
            assert row["page_count"] == pages[stem] == len(doc.pages), stem
        sidecar = json.loads(layout.sidecar("extract", stem).read_text())
        assert sidecar["extraction_backend"] == "docling-native"
        assert layout.metrics(stem).exists() and layout.per_page_metrics(stem).exists()


def test_greek_documents_contain_greek_in_nfc(run):
    layout = OutputLayout(run["out"])
    for stem in [s for s in GREEK if (run["in"] / f"{s}.pdf").exists()]:
        md = layout.markdown(stem).read_text(encoding="utf-8")
        greek = sum(1 for c in md if "\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff")
        assert greek > 500, stem
        assert unicodedata.is_normalized("NFC", md), stem
    if (run["in"] / "SampleThesis-GR.pdf").exists():
        assert "Τίτλος Διπλωματικής Εργασίας" in layout.markdown("SampleThesis-GR").read_text(encoding="utf-8")


def test_scanned_documents_are_flagged_not_lost(run):
    rows = _rows(run)
    for stem in ("ocr_test", "test_ocr"):
        assert rows[stem]["extract_status"] == "success" and rows[stem]["needs_ocr"], stem


def test_metadata_logs_and_worker_shares(run, corpus):
    instance = run["instance"]
    expected = expected_extract(corpus)
    problems = expected_problems(corpus)
    event = instance.get_latest_materialization_event(AssetKey("extracted_docs"))
    meta = event.asset_materialization.metadata  # the pool's figures are the run's, on every shard
    assert meta["pages_per_s"].value > 0 and meta["shards_in_run"].value == len(instance.get_dynamic_partitions("shards"))
    shares = meta["worker_share"].value
    assert set(shares) == {"gpu0", "gpu1"} and sum(shares.values()) == len(expected)
    shards = [m.metadata for m in run["extraction"].asset_materializations_for_node("extracted_docs")]
    assert sum(m["processed"].value for m in shards) == len(expected) - len(problems)  # each shard its own
    assert sum(m["problematic"].value for m in shards) == len(problems)
    assert sum(m["skipped"].value for m in shards) == 0 and sum(m["pages"].value for m in shards) > 500
    assert {r.data["stem"] for m in shards for r in m["problematic_files"].value.records} == set(problems)
    assert all("preview" in m for m in shards if m["processed"].value)
    logs = OutputLayout(run["out"]).worker_logs("extract")
    assert sorted(p.name for p in logs.glob("*.current")) == ["gpu0.current", "gpu1.current"]
    for label, cvd in (("gpu0", "'0'"), ("gpu1", "'1'")):
        text = "".join(p.read_text() for p in logs.glob(f"{label}_*.log"))
        assert f"CUDA_VISIBLE_DEVICES={cvd}" in text and "extract backend=docling pipeline=native" in text
        assert (logs / f"{label}.current").read_text() == ""  # nothing in flight any more
    # the pool's summaries reached the run's logs
    records = instance.all_logs(run["extraction"].run_id)
    assert any("queued=" in (r.user_message or "") for r in records)


def test_a_finished_corpus_on_a_new_instance_is_recorded_without_work(run, tmp_path):
    """Work done by a run that never recorded it (killed, or another instance): the rerun records
    the shards, processed 0, and redoes nothing."""
    layout = OutputLayout(run["out"])
    before = {p.name: p.stat().st_mtime_ns for p in (layout.root / "sidecars" / "extract").iterdir()}
    with temp_instance(tmp_path) as fresh:
        assert materialize_manifest(fresh, run["res"], shard_size=10).success
        late = materialize_extraction(fresh, run["res"], phase1_backend="docling")
        mats = late.asset_materializations_for_node("extracted_docs")
        assert sorted(m.partition for m in mats) == fresh.get_dynamic_partitions("shards")
        assert {m.metadata["processed"].value for m in mats} == {0}
        assert materialize_extraction(fresh, run["res"], phase1_backend="docling").asset_materializations_for_node("extracted_docs") == []
    assert {p.name: p.stat().st_mtime_ns for p in (layout.root / "sidecars" / "extract").iterdir()} == before


def test_rerun_does_nothing_then_only_the_new_file(run, corpus):
    instance, res = run["instance"], run["res"]
    layout = OutputLayout(run["out"])
    before = {p.name: p.stat().st_mtime_ns for p in (layout.root / "sidecars" / "extract").iterdir()}
    again = materialize_extraction(instance, res, phase1_backend="docling")
    # nothing left: the run succeeds and records no new materialization (nor runs the checks)
    assert again.success and again.asset_materializations_for_node("extracted_docs") == []
    assert not [e for e in again.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]

    shutil.copyfile(corpus / "pdfs" / "multicolumn.pdf", run["in"] / "added later.pdf")
    manifest = materialize_manifest(instance, res, shard_size=10)
    assert manifest.success
    assert instance.get_dynamic_partitions("shards")[-1] == "shard-00003"
    third = materialize_extraction(instance, res, phase1_backend="docling")
    processed = {m.partition: m.metadata["processed"].value for m in third.asset_materializations_for_node("extracted_docs")}
    assert processed == {**{s: 0 for s in instance.get_dynamic_partitions("shards")}, "shard-00003": 1}  # its shard's
    after = {p.name: p.stat().st_mtime_ns for p in (layout.root / "sidecars" / "extract").iterdir()}
    assert set(after) - set(before) == {"added later.json"}
    assert all(after[name] == mtime for name, mtime in before.items())  # nothing else rewritten
    rows = _rows(run)
    assert rows["added later"]["extract_status"] == "success"
    assert rows["added later"]["shard"] == "shard-00003"


def test_checks_report_lost_outputs_and_json_that_does_not_parse(run, tmp_path):
    """The asset checks, run on their own over the finished corpus: they pass, then name what was
    broken behind their back (a markdown deleted, a Docling JSON truncated)."""
    from dagster import AssetSelection, materialize

    from glossapi_dagster.defs.extract.assets import extracted_docs
    from glossapi_dagster.defs.extract.checks import every_document_accounted_for, outputs_exist_and_parse, problematic_share

    layout = OutputLayout(run["out"])
    checks = [every_document_accounted_for, outputs_exist_and_parse, problematic_share]

    def evaluate() -> dict:
        result = materialize([extracted_docs, *checks], selection=AssetSelection.checks_for_assets(extracted_docs),
                             instance=run["instance"], resources=run["res"])
        return {e.check_name: e for e in result.get_asset_check_evaluations()}

    assert all(e.passed for e in evaluate().values())
    saved = {p: p.read_bytes() for p in (layout.markdown("multicolumn"), layout.docling_json("redp5110_sampled"))}
    try:
        layout.markdown("multicolumn").unlink()
        blob = saved[layout.docling_json("redp5110_sampled")]
        layout.docling_json("redp5110_sampled").write_bytes(blob[: len(blob) // 2])
        found = evaluate()
        broken = found["outputs_exist_and_parse"]
        assert not broken.passed and broken.metadata["broken"].value == 2
        text = json.dumps(broken.metadata["broken_outputs"].value)
        assert "multicolumn: missing multicolumn.md" in text and "redp5110_sampled" in text
        assert found["every_document_accounted_for"].passed  # the store itself is intact
    finally:
        for path, data in saved.items():
            path.write_bytes(data)
