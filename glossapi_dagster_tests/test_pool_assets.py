"""The three pool assets over a range of shards in one run: each shard's materialization carries
that shard's own counts (the pool's figures are the run's), and the asset checks of ocr_docs and
math_enriched pass on what the runs wrote, then name an OCR output and a math output deleted
behind their back. Real PDFs, real workers, a real Dagster instance; the safe backend and the
text-layer math engine keep it fast."""
from __future__ import annotations

from collections import Counter

import pytest
from dagster import AssetSelection, materialize

from glossapi_dagster.defs.math.assets import math_enriched
from glossapi_dagster.defs.ocr.assets import ocr_docs
from glossapi_dagster.runs import (
    materialize_extraction, materialize_manifest, materialize_math, materialize_ocr,
)
from glossapi_dagster.defs.math.checks import MATH_CHECKS
from glossapi_dagster.defs.ocr.checks import OCR_CHECKS
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import copy_pdfs, expected_extract, resources, temp_instance

pytestmark = pytest.mark.timeout(600)

# two shards of two: a formula page, a problematic (empty) file, a page without math, a scan
NAMES = ["code_and_formula.pdf", "empty.pdf", "multicolumn.pdf", "ocr_test.pdf"]
SHARD_SIZE = 2


@pytest.fixture(scope="module")
def runs(tmp_path_factory, corpus):
    tmp = tmp_path_factory.mktemp("pool_assets")
    input_dir = copy_pdfs(corpus / "pdfs", tmp / "in", NAMES)
    out = tmp / "out"
    res = resources(input_dir, out)
    with temp_instance(tmp) as instance:
        assert materialize_manifest(instance, res, shard_size=SHARD_SIZE).success
        extract = materialize_extraction(instance, res, phase1_backend="safe")
        ocr = materialize_ocr(instance, res, ocr_engine="tesseract")
        math = materialize_math(instance, res, math_engine="textlayer")
        yield {"instance": instance, "res": res, "out": out, "extract": extract, "ocr": ocr, "math": math,
               "rows": ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")}


def _by_shard(run, node: str) -> dict:
    return {m.partition: m.metadata for m in run.asset_materializations_for_node(node)}


def _count(rows, where) -> Counter:
    return Counter(r["shard"] for r in rows if where(r))


def test_each_shard_carries_its_own_extraction_counts(runs, corpus):
    shards = runs["instance"].get_dynamic_partitions("shards")
    assert len(shards) == -(-len(NAMES) // SHARD_SIZE) >= 2
    rows, expected = runs["rows"], expected_extract(corpus)
    assert runs["extract"].success
    meta = _by_shard(runs["extract"], "extracted_docs")
    assert sorted(meta) == shards  # one run, every shard materialized
    success = _count(rows, lambda r: expected[r["stem"]] == "success")
    problems = _count(rows, lambda r: expected[r["stem"]] != "success")
    assert len({(success[s], problems[s]) for s in shards}) == 2  # the shards differ: totals would not do
    for shard in shards:
        stems = {r["stem"] for r in rows if r["shard"] == shard}
        assert meta[shard]["processed"].value == success[shard], shard
        assert meta[shard]["problematic"].value == problems[shard], shard
        assert {r.data["stem"] for r in meta[shard]["problematic_files"].value.records} == \
            {s for s in stems if expected[s] != "success"}
        assert meta[shard]["shards_in_run"].value == len(shards)
        assert sum(meta[shard]["worker_share"].value.values()) == len(NAMES)  # the pool's: the run's


def test_each_shard_carries_its_own_ocr_and_math_counts(runs):
    rows, shards = runs["rows"], runs["instance"].get_dynamic_partitions("shards")
    assert runs["ocr"].success and runs["math"].success
    ocr = _by_shard(runs["ocr"], "ocr_docs")
    ocrd = _count(rows, lambda r: r.get("ocr_success") is True)
    assert sum(ocrd.values()) >= 1 and sorted(ocr) == shards
    for shard in shards:
        assert ocr[shard]["ocr_success"].value == ocr[shard]["processed"].value == ocrd[shard], shard
        assert set(ocr[shard]["ocr_stems"].value) == \
            {r["stem"] for r in rows if r["shard"] == shard and r.get("ocr_success") is True}
    math = _by_shard(runs["math"], "math_enriched")
    enriched = _count(rows, lambda r: r.get("math_status") == "success")
    no_math = _count(rows, lambda r: r.get("math_status") == "no_math")
    assert sum(enriched.values()) >= 1 and sorted(math) == shards
    for shard in shards:
        assert math[shard]["enriched"].value == enriched[shard], shard
        assert math[shard]["without_math"].value == no_math[shard], shard
        assert math[shard]["formulas"].value == sum(int(r["formula_total"]) for r in rows
                                                    if r["shard"] == shard and r.get("math_status") == "success")


def _evaluate(runs, asset, checks) -> dict:
    result = materialize([asset, *checks], selection=AssetSelection.checks_for_assets(asset),
                         instance=runs["instance"], resources=runs["res"])
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_ocr_and_math_checks_pass_then_catch_a_deleted_output(runs):
    for run in (runs["ocr"], runs["math"]):  # the checks ran with each run, and passed
        found = {e.check_name: e.passed for e in run.get_asset_check_evaluations()}
        assert found and all(found.values()), found
    layout, rows = OutputLayout(runs["out"]), runs["rows"]
    ocrd = sorted(r["stem"] for r in rows if r.get("ocr_success") is True)[0]
    enriched = sorted(r["stem"] for r in rows if r.get("math_status") == "success")[0]

    saved = layout.markdown(ocrd).read_bytes()
    layout.markdown(ocrd).unlink()
    found = _evaluate(runs, ocr_docs, OCR_CHECKS)
    broken = found["ocr_outputs_exist_and_parse"]
    assert not broken.passed and broken.metadata["broken"].value == 1
    assert f"{ocrd}: missing {ocrd}.md" in broken.metadata["broken_outputs"].value
    assert found["every_flagged_document_ocrd"].passed  # the store itself is intact
    layout.markdown(ocrd).write_bytes(saved)

    assert all(e.passed for e in _evaluate(runs, math_enriched, MATH_CHECKS).values())
    layout.latex_map(enriched).unlink()
    found = _evaluate(runs, math_enriched, MATH_CHECKS)
    broken = found["math_outputs_exist_and_parse"]
    assert not broken.passed
    assert any(f"{enriched}: missing" in b and f"{enriched}.latex_map.jsonl" in b
               for b in broken.metadata["broken_outputs"].value)
    assert found["every_pdf_through_math"].passed


def test_a_bad_respawn_cap_fails_the_math_step_once_naming_the_variable(runs, monkeypatch):
    """Checked before any worker starts; the step's own retry policy does not run it again."""
    from glossapi_dagster.runs import RANGE_END, RANGE_START, run_job

    monkeypatch.setenv("GLOSSAPI_MATH_RESPAWN_CAP", "abc")
    shards = runs["instance"].get_dynamic_partitions("shards")
    result = run_job(runs["instance"], runs["res"], "math_job",
                     {"ops": {"math_enriched": {"config": {"math_engine": "textlayer", "reprocess": True}}}},
                     tags={RANGE_START: shards[0], RANGE_END: shards[-1]}, raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1 and "GLOSSAPI_MATH_RESPAWN_CAP" in str(failures[0].event_specific_data.error)
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
