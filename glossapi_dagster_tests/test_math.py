"""Phase 2 (math enrichment): real PDFs, real worker processes, real Dagster instances.

Over the test corpus: display formulas of code_and_formula.pdf, demo2.pdf and GeoTopo-komprimiert.pdf
come out as LaTeX in their markdown; a document without math is left alone. With the test-only
crash backend: respawns, the respawn cap (and cap 0), the skip-list and quarantine, a killed
controller that resumes, and the step's own retry policy.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from dagster import DagsterEventType

from glossapi_dagster.backends.math.code_formula import (
    MAX_HEIGHT_PX, MIN_HEIGHT_PX, crop_scale, find_weights, render_crops,
)
from glossapi_dagster.backends.math.textlayer import TextLayerMath
from glossapi_dagster.defs.math.assets import math_enriched
from glossapi_dagster.runs import materialize_extraction, materialize_manifest, materialize_math
from glossapi_dagster.phases.math import run_math
from glossapi_dagster.state.phase_rows import math_targets
from glossapi_dagster.pool import Device, PoolConfig
from glossapi_dagster.state import OutputLayout, ProgressStore, SkipList

from .conftest import PYTHON, REPO, copy_pdfs, need_pdf, resources, temp_instance
from .crash_math import use_crash_engine

pytestmark = pytest.mark.timeout(400)


def squash(latex: str | None) -> str:
    return re.sub(r"\s+", "", latex or "")


def latex_map(out: Path, stem: str) -> list[dict]:
    return [json.loads(line) for line in OutputLayout(out).latex_map(stem).read_text(encoding="utf-8").splitlines()]


def rows_of(out: Path) -> dict[str, dict]:
    return {r["stem"]: r for r in ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")}


def na(value) -> bool:
    return value is None or value is pd.NA or value != value


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch, tmp_path):
    monkeypatch.delenv("GLOSSAPI_MATH_RESPAWN_CAP", raising=False)
    monkeypatch.delenv("GLOSSAPI_WORKER_LOG_DIR", raising=False)
    monkeypatch.delenv("GLOSSAPI_WORKER_LOG_VERBOSE", raising=False)


# -- the corpus: display formulas come out as LaTeX ------------------------------------------------
CORPUS_SET = ["GeoTopo-komprimiert.pdf", "code_and_formula.pdf", "demo2.pdf", "multicolumn.pdf"]
WITH_MATH = ("GeoTopo-komprimiert", "code_and_formula", "demo2")  # demo2 where GLOSSAPI_TEST_CORPUS has it


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory, corpus):
    """GeoTopo extracted with the safe backend (117 pages: fast), the others with Docling's native
    pipeline; then one math run over every shard with the text-layer backend."""
    tmp = tmp_path_factory.mktemp("math")
    input_dir = copy_pdfs(corpus / "pdfs", tmp / "in", CORPUS_SET)
    out = tmp / "out"
    res = resources(input_dir, out)
    with temp_instance(tmp) as instance:
        assert materialize_manifest(instance, res, shard_size=1).success
        shards = instance.get_dynamic_partitions("shards")  # one file each, in name order: GeoTopo first
        assert materialize_extraction(instance, res, [shards[0]], phase1_backend="safe").success
        assert materialize_extraction(instance, res, shards[1:], phase1_backend="docling", pipeline="native").success
        layout = OutputLayout(out)
        stems = [p.stem for p in sorted(input_dir.glob("*.pdf"))]
        before = {s: layout.markdown(s).read_text(encoding="utf-8") for s in stems}
        started = time.time()
        result = materialize_math(instance, res, math_engine="textlayer")
        yield {"instance": instance, "res": res, "out": out, "result": result, "before": before,
               "started": started, "with_math": [s for s in WITH_MATH if s in stems]}


def _display(out: Path, stem: str) -> list[dict]:
    return [e for e in latex_map(out, stem) if e["kind"] == "display"]


def test_code_and_formula_display_formula(corpus_run):
    out = corpus_run["out"]
    assert corpus_run["result"].success
    (entry,) = _display(out, "code_and_formula")  # a^2 + 8 = 12, on page 2
    assert squash(entry["latex"]) == "a^{2}+8=12"
    assert entry["page_no"] == 2 and entry["accepted"] and entry["placed"] and entry["engine"] == "textlayer"
    md = OutputLayout(out).markdown("code_and_formula").read_text(encoding="utf-8")
    assert "$$a^{2} + 8 = 12$$" in md
    assert "a2 + 8 = 12" in corpus_run["before"]["code_and_formula"] and "a2 + 8 = 12" not in md
    # everything else of the page is still there
    assert md.count("Lorem ipsum") == corpus_run["before"]["code_and_formula"].count("Lorem ipsum")


DEMO2 = {  # demo2.pdf, page 2, equations (1) to (3), as printed
    "1": r"w(p,q)=\exp(-\frac{\Delta_{g}(p,q)}{\gamma_{g}}-\frac{\Delta_{c}(p,q)}{\gamma_{c}})",
    "2": r"C(p,\bar{p})=\frac{\sum_{q\in\Omega_{p},\bar{q}\in\Omega_{\bar{p}}}w(p,q)w(\bar{p},\bar{q})\delta(q,\bar{q})}"
         r"{\sum_{q\in\Omega_{p},\bar{q}\in\Omega_{\bar{p}}}w(p,q)w(\bar{p},\bar{q})}",
    "3": r"\delta(q,\bar{q})=\sum_{c=\{r,g,b\}}\min(|q_{c}-\bar{q}_{c}|,\tau)",
    "6": r"m(p)=\operatorname*{arg\,min}_{\bar{p}\inS_{p}}C(p,\bar{p})",
}


def test_demo2_numbered_equations(corpus_run, corpus):
    need_pdf(corpus, "demo2.pdf")
    out = corpus_run["out"]
    by_tag = {e["tag"]: e for e in _display(out, "demo2") if e["tag"]}
    assert {"1", "2", "3", "5", "6", "8", "9"} <= set(by_tag)
    md = squash(OutputLayout(out).markdown("demo2").read_text(encoding="utf-8"))
    for tag, expected in DEMO2.items():
        entry = by_tag[tag]
        assert squash(entry["latex"]).startswith(expected), (tag, entry["latex"])
        assert entry["accepted"] and entry["placed"], entry
        assert "$$" + squash(entry["latex"]) + "\\tag{" + tag + "}$$" in md
    # inline formulas too, in the running text: "the coefficients γg and γc"
    assert "$\\gamma_{g}$" in OutputLayout(out).markdown("demo2").read_text(encoding="utf-8")
    inline = [e for e in latex_map(out, "demo2") if e["kind"] == "inline"]
    # (an accent that Docling's native cells put on the line above its letter cannot be placed: left as is)
    assert len(inline) > 50 and sum(e["placed"] for e in inline) > 0.75 * len(inline)


GEOTOPO = {  # GeoTopo-komprimiert.pdf: page -> display formula
    45: r"\sum_{k=0}^{d}(-1)^{k}b_{k}(K)=\sum_{k=0}^{d}(-1)^{k}a_{k}(K)=\chi(K)",
    40: r"\chi(K):=\sum_{n=0}^{\dimK}(-1)^{n}a_{n}(K)",
    37: r"(A^{-1})(i,j)=\frac{\det(A_{ij})}{\detA}",
}


def test_geotopo_display_formulas_in_the_safe_markdown(corpus_run):
    out = corpus_run["out"]
    entries = _display(out, "GeoTopo-komprimiert")
    assert len(entries) > 100
    md = squash(OutputLayout(out).markdown("GeoTopo-komprimiert").read_text(encoding="utf-8"))
    for page, expected in GEOTOPO.items():
        found = [e for e in entries if e["page_no"] == page and squash(e["latex"]) == expected]
        assert found, (page, [e["latex"] for e in entries if e["page_no"] == page])
        assert found[0]["placed"] and "$$" + expected in md


def test_documents_without_math_are_left_alone(corpus_run):
    out, layout = corpus_run["out"], OutputLayout(corpus_run["out"])
    row = rows_of(out)["multicolumn"]
    assert row["math_status"] == "no_math" and row["formula_total"] == 0
    assert na(row["math_enriched"]) and na(row["math_items"])
    assert not layout.latex_map("multicolumn").exists() and not layout.sidecar("math", "multicolumn").exists()
    assert layout.markdown("multicolumn").read_text(encoding="utf-8") == corpus_run["before"]["multicolumn"]
    shards = [m.metadata for m in corpus_run["result"].asset_materializations_for_node("math_enriched")]
    assert sum(m["enriched"].value for m in shards) == len(corpus_run["with_math"])  # each shard its own count
    assert sum(m["without_math"].value for m in shards) == 1


def test_store_columns_latex_map_and_sidecars(corpus_run):
    out, layout = corpus_run["out"], OutputLayout(corpus_run["out"])
    rows = rows_of(out)
    for stem in corpus_run["with_math"]:
        row, entries = rows[stem], latex_map(out, stem)
        assert row["math_enriched"] is True and row["math_status"] == "success", row
        assert row["formula_total"] == len(entries) > 0
        assert row["math_items"] == sum(e["latex"] is not None for e in entries)
        assert row["math_accepted"] == sum(e["accepted"] for e in entries) <= row["math_items"]
        assert row["math_time_sec"] > 0
        for e in entries:
            assert {"page_no", "item_index", "latex", "engine", "time_ms", "accepted", "checks", "placed",
                    "broken_tounicode", "bbox", "kind"} <= set(e)
            assert e["accepted"] == (all(e["checks"].values()) and not e["broken_tounicode"])
        assert [e["item_index"] for e in entries] == list(range(len(entries)))
        side = json.loads(layout.sidecar("math", stem).read_text())
        assert side["formula_total"] == len(entries) and side["engine"] == "textlayer"
        assert set(side["worker"].split(",")) <= {"gpu0", "gpu1"}  # GeoTopo's 117 pages: two ranges, "gpu0,gpu1"
    assert not SkipList(layout.skiplist).read()


def test_markers_and_worker_logs(corpus_run):
    logs = OutputLayout(corpus_run["out"]).worker_logs("math")
    assert sorted(p.name for p in logs.glob("*.current")) == ["gpu0.current", "gpu1.current"]
    for label, cvd in (("gpu0", "'0'"), ("gpu1", "'1'")):
        assert (logs / f"{label}.current").read_text() == ""
        (log,) = logs.glob(f"{label}_*.log")  # one worker each, never respawned
        text = log.read_text()
        assert f"CUDA_VISIBLE_DEVICES={cvd}" in text and "math engine=textlayer" in text


def test_rerun_does_nothing_and_reprocess_is_idempotent(corpus_run):
    instance, res, out = corpus_run["instance"], corpus_run["res"], corpus_run["out"]
    layout = OutputLayout(out)
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "sidecars" / "math").iterdir()}
    again = materialize_math(instance, res, math_engine="textlayer")
    assert again.success and again.asset_materializations_for_node("math_enriched") == []  # nothing left
    assert {p.name: p.stat().st_mtime_ns for p in (out / "sidecars" / "math").iterdir()} == stamps
    # reprocessing starts again from Phase 1's markdown, not from the enriched one
    md = layout.markdown("code_and_formula").read_text(encoding="utf-8")
    redo = materialize_math(instance, res, ["shard-00001"], math_engine="textlayer", reprocess=True)
    assert redo.asset_materializations_for_node("math_enriched")[0].metadata["processed"].value == 1
    assert layout.markdown("code_and_formula").read_text(encoding="utf-8") == md
    assert layout.sidecar("math", "code_and_formula").stat().st_mtime_ns > stamps["code_and_formula.json"]


def test_docling_formula_items_replace_their_placeholder(corpus_run, tmp_path, corpus):
    """What Docling's layout model produces (a formula item, `<!-- formula-not-decoded -->` in the
    markdown), made from the native extraction: the item is decoded from the glyphs in its box."""
    from docling_core.types.doc import DoclingDocument

    from glossapi_dagster.state.artifacts import encode_json, load_docling_json

    data = load_docling_json(OutputLayout(corpus_run["out"]).docling_json("code_and_formula"))
    (item,) = [t for t in data["texts"] if t["text"] == "a2 + 8 = 12"]
    item.update(label="formula", text="")
    doc = DoclingDocument.model_validate(data)
    markdown = doc.export_to_markdown()
    assert markdown.count("<!-- formula-not-decoded -->") == 1
    out = tmp_path / "out"
    layout = OutputLayout(out)
    layout.docling_json("cf").parent.mkdir(parents=True)
    layout.docling_json("cf").write_bytes(encode_json(data))
    layout.markdown("cf").parent.mkdir(parents=True)
    layout.markdown("cf").write_text(markdown, encoding="utf-8")
    cfg = PoolConfig(devices=[Device(0)], log_dir=tmp_path / "logs")
    path = str(corpus / "pdfs" / "code_and_formula.pdf")
    report = run_math(out, [{"stem": "cf", "path": path}], cfg, math_engine="textlayer", accel_type="cpu")
    assert report.counts()["success"] == 1
    (entry,) = latex_map(out, "cf")
    assert entry["docling_ref"] == item["self_ref"] and entry["kind"] == "display"
    assert squash(entry["latex"]) == "a^{2}+8=12" and entry["placed"]
    enriched = layout.markdown("cf").read_text(encoding="utf-8")
    assert "<!-- formula-not-decoded -->" not in enriched and "$$a^{2} + 8 = 12$$" in enriched
    assert enriched.replace("$$a^{2} + 8 = 12$$", "<!-- formula-not-decoded -->") == markdown


# -- broken glyphs, targeting, CodeFormula -------------------------------------------------------------
def test_broken_tounicode_is_reported_not_decoded(tmp_path, corpus):
    """4.5.chain_rule.pdf: the slides' math font has no ToUnicode map (x(t) reads 'xptq', ∂ 'B')."""
    path = corpus / "pdfs" / "4.5.chain_rule.pdf"
    formulas = TextLayerMath().scan(path).formulas
    broken = [f for f in formulas if f.broken]
    assert len(broken) >= 20 and all(f.latex is None for f in broken)
    assert any("ptq" in f.source_text for f in broken)  # what a naive reader would have emitted
    assert not any("ptq" in (f.latex or "") or "ptq" in f.source_text for f in formulas if not f.broken)
    out = tmp_path / "out"
    cfg = PoolConfig(devices=[Device(0)], log_dir=tmp_path / "logs")
    report = run_math(out, [{"stem": "chain", "path": str(path)}], cfg, math_engine="textlayer", accel_type="cpu")
    assert report.counts()["success"] == 1
    entries = latex_map(out, "chain")
    flagged = [e for e in entries if e["broken_tounicode"]]
    assert len(flagged) == len(broken)
    assert all(e["latex"] is None and not e["accepted"] for e in flagged)
    assert rows_of(out)["chain"]["math_accepted"] == len(entries) - len(flagged)
    side = json.loads(OutputLayout(out).sidecar("math", "chain").read_text())
    assert side["broken_tounicode"] == len(flagged)


def test_targets(tmp_path):
    store = ProgressStore(tmp_path / "store")
    base = {"extract_status": "success", "file_ext": "pdf", "shard": "s0", "missing": False}
    store.upsert([
        {"stem": "plain", "path": "/x/plain.pdf", **base},
        {"stem": "done", "path": "/x/done.pdf", **base, "math_enriched": True, "math_status": "success"},
        {"stem": "nomath", "path": "/x/nomath.pdf", **base, "math_status": "no_math", "formula_total": 0},
        {"stem": "scanned", "path": "/x/scanned.pdf", **base, "needs_ocr": True},
        {"stem": "ocrd", "path": "/x/ocrd.pdf", **base, "needs_ocr": True, "ocr_success": True},
        {"stem": "skipped", "path": "/x/skipped.pdf", **base},
        {"stem": "failed", "path": "/x/failed.pdf", **{**base, "extract_status": "problematic"}},
        {"stem": "docx", "path": "/x/a.docx", **{**base, "file_ext": "docx"}},
        {"stem": "other", "path": "/x/other.pdf", **{**base, "shard": "s1"}},
        {"stem": "fatal", "path": "/x/fatal.pdf", **base, "math_status": "fatal"},
    ])
    stems = lambda **kw: [r["stem"] for r in math_targets(store, {"s0"}, skip={"skipped"}, **kw)]  # noqa: E731
    assert stems() == ["ocrd", "plain"]
    assert stems(reprocess=True) == ["done", "nomath", "ocrd", "plain"]
    assert [r["path"] for r in math_targets(store, None)] == ["/x/ocrd.pdf", "/x/other.pdf", "/x/plain.pdf",
                                                               "/x/skipped.pdf"]


def test_respawn_cap_from_the_environment(monkeypatch):
    from dagster import Backoff

    from glossapi_dagster.defs.math.assets import respawn_policy
    from glossapi_dagster.defs.math.config import MathConfig
    from glossapi_dagster.defs.resources import GpuPoolResource
    from glossapi_dagster.phases.math import respawn_cap

    assert respawn_cap() == 5
    monkeypatch.setenv("GLOSSAPI_MATH_RESPAWN_CAP", "0")
    assert respawn_cap() == 0 and respawn_cap(2) == 2
    monkeypatch.setenv("GLOSSAPI_MATH_RESPAWN_CAP", "3")
    policy = respawn_policy(MathConfig(), GpuPoolResource(respawn_delay=0.5, respawn_backoff="linear"))
    assert (policy.max_retries, policy.delay, policy.backoff) == (3, 0.5, Backoff.LINEAR)
    for bad in ("abc", "-1"):
        monkeypatch.setenv("GLOSSAPI_MATH_RESPAWN_CAP", bad)
        with pytest.raises(ValueError):
            respawn_cap()


def test_codeformula_without_weights_fails_at_worker_start(tmp_path, corpus, instance, monkeypatch):
    for var in ("HF_HOME", "DOCLING_CACHE_DIR", "XDG_CACHE_HOME", "HF_HUB_CACHE"):
        monkeypatch.setenv(var, str(tmp_path / "empty-cache" / var))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert find_weights(None) is None
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["code_and_formula.pdf"])
    res = resources(input_dir, tmp_path / "out")
    assert materialize_manifest(instance, res).success
    assert materialize_extraction(instance, res, phase1_backend="safe").success
    with pytest.raises(Exception) as failed:
        materialize_math(instance, res, math_engine="codeformula")
    message = str(failed.value)
    assert "docling-project/CodeFormulaV2" in message and "math_engine='textlayer'" in message
    assert "artifacts_path" in message
    row = rows_of(tmp_path / "out")["code_and_formula"]
    assert na(row.get("math_status")) and na(row.get("math_enriched"))  # nothing marked: it waits
    # a missing model is not retried by the step's retry policy
    records = instance.all_logs(instance.get_runs()[0].run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY)
    assert records == []


def test_crops_are_rendered_at_a_dpi_adapted_to_their_height(corpus):
    assert crop_scale(30, 200) == pytest.approx(120 / 72)                 # a display formula: 120 dpi
    assert crop_scale(8, 40) == pytest.approx(300 / 72)                   # one inline line: raised, capped
    assert crop_scale(16, 40) * 16 == pytest.approx(MIN_HEIGHT_PX)        # raised to stay legible
    assert crop_scale(700, 400) * 700 == pytest.approx(MAX_HEIGHT_PX)     # a tall one: lowered
    assert crop_scale(20, 2000) * 2000 <= 1600 + 1e-6
    pdf = corpus / "pdfs" / "code_and_formula.pdf"
    (formula,) = [f for f in TextLayerMath().scan(pdf).formulas if f.display]
    small, tall = render_crops(pdf, [(2, formula.bbox), (2, (100.0, 100.0, 500.0, 700.0))])
    assert small.height >= MIN_HEIGHT_PX and small.width > small.height
    assert tall.height <= MAX_HEIGHT_PX + 1 and tall.height > 600


# -- crashes, the respawn cap, the skip-list and quarantine ---------------------------------------------
STEMS = ["m0", "m1", "m2", "m3", "m4"]


@pytest.fixture(scope="module")
def extracted_copies(tmp_path_factory, corpus):
    """Five copies of code_and_formula.pdf, extracted once (safe backend); each test gets a copy of
    the output folder and its own Dagster instance."""
    tmp = tmp_path_factory.mktemp("copies")
    input_dir = tmp / "in"
    input_dir.mkdir()
    for stem in STEMS:
        shutil.copyfile(corpus / "pdfs" / "code_and_formula.pdf", input_dir / f"{stem}.pdf")
    with temp_instance(tmp) as instance:
        res = resources(input_dir, tmp / "out")
        assert materialize_manifest(instance, res).success
        assert materialize_extraction(instance, res, phase1_backend="safe").success
    return input_dir, tmp / "out"


@pytest.fixture
def copies(extracted_copies, tmp_path, instance):
    input_dir, template = extracted_copies
    out = tmp_path / "out"
    shutil.copytree(template, out)
    return input_dir, out


def _run(instance, input_dir, out, crash_stems=(), crash_delay=0.0, pool=None):
    res = resources(input_dir, out, **(pool or {}))
    assert materialize_manifest(instance, res).success  # registers the copied store's shards here
    return materialize_math(instance, res, math_engine=use_crash_engine(crash_stems, crash_delay))


def test_crash_respawn_cap_skiplist_and_quarantine(copies, instance, monkeypatch):
    input_dir, out = copies
    monkeypatch.setenv("GLOSSAPI_MATH_RESPAWN_CAP", "1")
    result = _run(instance, input_dir, out, crash_stems=["m2"], pool={"max_attempts": 10})
    assert result.success
    meta = result.asset_materializations_for_node("math_enriched")[0].metadata
    assert meta["respawn_cap"].value == 1
    (exhausted,) = meta["exhausted_devices"].value
    respawns = meta["respawns"].value
    assert respawns[exhausted] == 1  # the cap, honoured: one respawn, then the device stopped
    layout = OutputLayout(out)
    logs = layout.worker_logs("math")
    assert len(list(logs.glob("gpu*_*.log"))) == 2 + sum(respawns.values())
    assert all((logs / f"{d}.current").read_text() == "" for d in ("gpu0", "gpu1"))
    # every other stem enriched; the crashing one set aside, with its reason
    rows = rows_of(out)
    for stem in STEMS:
        if stem == "m2":
            continue
        assert rows[stem]["math_enriched"] is True and rows[stem]["math_status"] == "success"
        assert "$$a^{2} + 8 = 12$$" in layout.markdown(stem).read_text(encoding="utf-8")
    assert rows["m2"]["math_status"] == "fatal" and "respawn cap" in rows["m2"]["math_error"]
    assert na(rows["m2"]["math_enriched"])
    assert "$$" not in layout.markdown("m2").read_text(encoding="utf-8")  # killed before its markdown
    assert SkipList(layout.skiplist).read() == {"m2"}
    assert sorted(p.name for p in layout.quarantine("downloads").iterdir()) == ["m2.pdf"]
    assert sorted(p.name for p in layout.quarantine("json").iterdir()) == \
        ["m2.docling.json.zst", "m2.latex_map.jsonl"]
    assert (layout.quarantine("downloads") / "m2.pdf").read_bytes() == (input_dir / "m2.pdf").read_bytes()
    assert "crash backend: killing worker" in "".join(p.read_text() for p in logs.glob("gpu*_*.log"))
    # a later run leaves the skip-listed stem alone
    again = _run(instance, input_dir, out, crash_stems=["m2"])
    assert again.success and again.asset_materializations_for_node("math_enriched") == []


def test_cap_zero_never_respawns_and_stems_no_device_can_take_are_set_aside(copies, instance, monkeypatch):
    input_dir, out = copies
    monkeypatch.setenv("GLOSSAPI_MATH_RESPAWN_CAP", "0")
    result = _run(instance, input_dir, out, crash_stems=["m1", "m3"], pool={"max_attempts": 10})
    assert result.success
    meta = result.asset_materializations_for_node("math_enriched")[0].metadata
    assert meta["respawn_cap"].value == 0
    assert meta["respawns"].value == {"gpu0": 0, "gpu1": 0}
    assert sorted(meta["exhausted_devices"].value) == ["gpu0", "gpu1"]
    layout = OutputLayout(out)
    logs = layout.worker_logs("math")
    assert len(list(logs.glob("gpu0_*.log"))) == 1 and len(list(logs.glob("gpu1_*.log"))) == 1
    rows = rows_of(out)
    fatal = {s for s in STEMS if rows[s]["math_status"] == "fatal"}
    assert {"m1", "m3"} <= fatal
    for stem in STEMS:
        if stem in ("m1", "m3"):
            assert "respawn cap" in rows[stem]["math_error"]
        elif stem in fatal:
            assert "no device left" in rows[stem]["math_error"]
        else:
            assert rows[stem]["math_status"] == "success"
    assert SkipList(layout.skiplist).read() == fatal
    assert {p.stem for p in layout.quarantine("downloads").iterdir()} == fatal
    quarantined_json = {p.name for p in layout.quarantine("json").iterdir()}
    assert {f"{s}.docling.json.zst" for s in fatal} <= quarantined_json
    assert {n for n in quarantined_json if n.endswith(".latex_map.jsonl")} == {"m1.latex_map.jsonl",
                                                                              "m3.latex_map.jsonl"}


CONTROLLER = textwrap.dedent(
    """
    import sys
    from dagster import DagsterInstance
    from glossapi_dagster.runs import materialize_manifest, materialize_math
    from glossapi_dagster_tests.conftest import resources
    from glossapi_dagster_tests.crash_math import use_crash_engine

    res = resources(sys.argv[1], sys.argv[2])
    with DagsterInstance.get() as instance:
        materialize_manifest(instance, res)
        materialize_math(instance, res, math_engine=use_crash_engine(delay=1.5))
    """
)


def _successes(out: Path) -> set[str]:
    try:
        rows = rows_of(out)
    except Exception:
        return set()
    return {s for s, r in rows.items() if r.get("math_status") == "success"}


def test_killed_controller_resumes(copies, instance, dagster_home, tmp_path):
    input_dir, out = copies
    script = tmp_path / "controller.py"
    script.write_text(CONTROLLER)
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([PYTHON, str(script), str(input_dir), str(out)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while len(_successes(out)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert proc.poll() is None, "the run finished before it could be killed"
        workers = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"workers outlived their controller: {alive}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    done = _successes(out)
    assert 2 <= len(done) < len(STEMS)
    layout = OutputLayout(out)
    stamps = {s: layout.sidecar("math", s).stat().st_mtime_ns for s in done}
    rerun = _run(instance, input_dir, out)
    assert rerun.success
    meta = rerun.asset_materializations_for_node("math_enriched")[0].metadata
    assert meta["processed"].value == len(STEMS) - len(done)
    assert _successes(out) == set(STEMS)
    for stem, mtime in stamps.items():  # finished before the kill: not redone
        assert layout.sidecar("math", stem).stat().st_mtime_ns == mtime


def test_step_retry_policy_resumes_from_the_store(copies, instance):
    """The controller itself fails mid-run (its store cannot be written for a moment): Dagster's
    retry policy runs the step again, which picks up where the store says it was."""
    assert math_enriched.op.retry_policy.max_retries >= 1
    input_dir, out = copies
    layout = OutputLayout(out)
    journal = layout.store_dir / "journal"
    blocked = threading.Event()
    before: dict[str, int] = {}

    def block_then_release():
        deadline = time.monotonic() + 120
        while not _successes(out) and time.monotonic() < deadline:
            time.sleep(0.05)
        before.update({s: layout.sidecar("math", s).stat().st_mtime_ns for s in _successes(out)})
        aside = journal.with_name("journal-aside")
        journal.rename(aside)
        journal.write_text("not a folder")  # the next batch cannot be recorded: the controller fails
        blocked.set()
        time.sleep(2.0)
        journal.unlink()
        aside.rename(journal)  # what was recorded before the failure is back for the retry

    thread = threading.Thread(target=block_then_release, daemon=True)
    thread.start()
    result = _run(instance, input_dir, out, crash_delay=1.0)
    thread.join(30)
    assert blocked.is_set() and result.success
    retries = instance.all_logs(result.run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY)
    assert len(retries) >= 1
    assert _successes(out) == set(STEMS)
    assert before and all(layout.sidecar("math", s).stat().st_mtime_ns == m for s, m in before.items())
