"""Phase 2 on long documents as page ranges (issue 18): real workers, real PDFs, the text-layer engine.

A 50-page PDF made of the corpus' math documents (long_pdf.build_pdf), extracted once with the
safe backend beside a short one (5 pages: one item); each test runs Phase 2 on a copy of
that output. Ranges of 10 pages on 2 workers must give what one whole run gives: the same
latex_map entries (but for timings) and the same markdown. Kills, poison pages and the respawn
cap come through the tests' crash engine (crash_math.py), whose hooks get each range's pages.
"""
from __future__ import annotations

import json
import shutil
import signal
import textwrap
import threading
from collections import Counter
from pathlib import Path

import pytest

from glossapi_dagster.backends.math.textlayer import TextLayerMath
from glossapi_dagster.corpus import Corpus
from glossapi_dagster.runs import materialize_manifest, materialize_math
from glossapi_dagster.phases.math import respawn_cap, run_math
from glossapi_dagster.pool import Device, PoolConfig, RespawnPolicy
from glossapi_dagster.state import OutputLayout, ProgressStore, SkipList
from glossapi_dagster.state.ranges import RangeJournal

from . import long_pdf
from .conftest import resources, temp_instance
from .crash_math import use_crash_engine
from .kills import kill_controller_when, pool_workers, wait_for
from .test_page_ranges import assert_every_page_once

pytestmark = pytest.mark.timeout(300)
SOURCES = ["code_and_formula.pdf", "2305.03393v1-pg9.pdf", "4.5.chain_rule.pdf", "MAS029-LECTURE1-7.9.2020_nc.pdf",
           "typologio_mas026.pdf", "mas002_midterm1_19.pdf"]
PAGES, UNIT = 50, 10
POISON = 21  # typologio's second page: 27 formulas placed by a whole run


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch):
    monkeypatch.delenv("GLOSSAPI_MATH_RESPAWN_CAP", raising=False)


@pytest.fixture(scope="module")
def extracted(corpus, tmp_path_factory):
    """IN (long.pdf, short.pdf) and an OUT after Phase 1 (safe backend, whole documents), and the
    reference: Phase 2 on a copy of it, one worker, never split."""
    tmp = tmp_path_factory.mktemp("math_ranges")
    long_pdf.build_pdf(corpus / "pdfs", SOURCES, PAGES, tmp / "in" / "long.pdf")
    long_pdf.build_pdf(corpus / "pdfs", ["MAS029-LECTURE1-7.9.2020_nc.pdf", "typologio_mas026.pdf"], 5,
                       tmp / "in" / "short.pdf")  # larger a file than a range of long.pdf: it goes first
    with temp_instance(tmp):
        Corpus(tmp / "in", tmp / "base", progress=False).extract(accel_type="cpu", devices=[0], phase1_backend="safe",
                                                                 max_pages_per_unit=None)
    whole = tmp / "whole"
    shutil.copytree(tmp / "base", whole)
    report = math(whole, devices=[0], max_pages_per_unit=None)
    assert report.counts()["success"] == 2
    assert not (whole / "ranges").exists()
    return {"in": tmp / "in", "base": tmp / "base", "whole": whole}


@pytest.fixture
def out(extracted, tmp_path) -> Path:
    shutil.copytree(extracted["base"], tmp_path / "out")
    return tmp_path / "out"


def math(out: Path, devices=(0, 1), engine: str = "textlayer", **kw):
    rows = [{"stem": r["stem"], "path": r["path"]} for r in ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")]
    config = PoolConfig(devices=[Device(d) for d in devices], log_dir=out / "logs",
                        respawn=RespawnPolicy(max_retries=respawn_cap()))  # as the asset sets it
    kw.setdefault("max_pages_per_unit", UNIT)
    return run_math(out, rows, config, math_engine=engine, accel_type="cpu", **kw)


def latex_map(out: Path, stem: str = "long") -> list[dict]:
    return [json.loads(line) for line in OutputLayout(out).latex_map(stem).read_text(encoding="utf-8").splitlines()]


def comparable(entries: list[dict], drop=("time_ms",)) -> list[dict]:
    return [{k: v for k, v in e.items() if k not in drop} for e in entries]


def markdown(out: Path, stem: str = "long") -> str:
    return OutputLayout(out).markdown(stem).read_text(encoding="utf-8")


def rows(out: Path) -> dict:
    return {r["stem"]: r for r in ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")}


def done_ranges(out: Path) -> list[tuple[int, int]]:
    return [(e["first"], e["last"]) for e in RangeJournal(out, "long", "", "math").history() if e["status"] == "done"]


def sidecar(out: Path) -> dict:
    return json.loads(OutputLayout(out).sidecar("math", "long").read_text(encoding="utf-8"))


# -- the text layer: a range's scan is the whole scan's on its pages ---------------------------------
def test_a_range_scan_with_the_document_fonts_gives_the_whole_scans_formulas(corpus):
    """GeoTopo's page 46 alone has CMR10 as its most used font, the document SFRM1095: classed with
    its own body font, a scan of that page finds other formulas than the whole scan does there."""
    path = corpus / "pdfs" / "GeoTopo-komprimiert.pdf"
    engine = TextLayerMath()

    def key(formulas):
        return [(f.page_no, f.bbox, f.display, f.latex, f.tag, f.source_text) for f in formulas]

    whole = engine.scan(path)
    fonts = engine.fonts(path)
    assert fonts.body == whole.body_font == "SFRM1095"
    on_46 = key(f for f in whole.formulas if f.page_no == 46)
    assert on_46 and key(engine.scan(path, pages={46}, fonts=fonts).formulas) == on_46
    alone = engine.scan(path, pages={46}, fonts=None)
    assert alone.body_font == "CMR10" and key(alone.formulas) != on_46
    ranged = [f for first in range(41, 51, 5) for f in engine.scan(path, pages=set(range(first, first + 5)),
                                                                     fonts=fonts).formulas]
    assert key(ranged) == key(f for f in whole.formulas if 41 <= f.page_no <= 50)


# -- ranges on two workers: what one whole run gives ------------------------------------------------
def test_two_workers_share_the_ranges_and_match_a_whole_run(extracted, out, instance):
    res = resources(extracted["in"], out)
    assert materialize_manifest(instance, res).success  # the copied store's shards, in this instance
    # the asset's door; the crash engine only waits half a second an item (so that a worker that
    # starts late still finds ranges left) and decodes with the text layer
    result = materialize_math(instance, res, math_engine=use_crash_engine(delay=0.5), max_pages_per_unit=UNIT)
    assert result.success
    row, whole_row = rows(out)["long"], rows(extracted["whole"])["long"]
    assert row["math_status"] == "success" and row["math_enriched"] is True, row["math_error"]
    for column in ("formula_total", "math_items", "math_accepted"):
        assert row[column] == whole_row[column]
    assert row["formula_total"] > 150 and row["math_failed_pages"] is None
    assert sidecar(out)["worker"] == "gpu0,gpu1"                       # both workers took ranges of it
    assert_every_page_once(done_ranges(out), PAGES)
    assert len(done_ranges(out)) == PAGES // UNIT
    entries, reference = latex_map(out), latex_map(extracted["whole"])
    assert comparable(entries) == comparable(reference)                # but for timings
    assert [e["item_index"] for e in entries] == list(range(len(entries)))
    assert sum(e["placed"] for e in entries) > 50
    assert markdown(out) == markdown(extracted["whole"]) != markdown(extracted["base"])
    assert "$$a^{2} + 8 = 12$$" in markdown(out)
    assert not [p for p in (out / "ranges" / "math" / "long").iterdir() if p.name != "journal.jsonl"]  # parts gone
    assert not (out / "ranges" / "math" / "short").exists()          # a short document: one item
    assert comparable(latex_map(out, "short")) == comparable(latex_map(extracted["whole"], "short"))


# -- resume -----------------------------------------------------------------------------------------
def test_a_killed_worker_costs_its_range_only(extracted, out):
    killed = []

    def kill_one():
        wait_for(lambda: len(done_ranges(out)) >= 2, what="two finished ranges")
        victim = pool_workers()[0]
        killed.append(victim.pid)
        victim.send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_one, daemon=True)
    killer.start()
    report = math(out, engine=use_crash_engine(delay=0.5))  # half a second a range: time to kill one mid-range
    killer.join(5)
    assert killed, "no worker was killed"
    assert report.counts()["success"] == 2
    assert rows(out)["long"]["math_status"] == "success"
    assert_every_page_once(done_ranges(out), PAGES)                    # the killed range was redone, no other
    assert comparable(latex_map(out)) == comparable(latex_map(extracted["whole"]))
    assert markdown(out) == markdown(extracted["whole"])


CONTROLLER = textwrap.dedent("""
    import sys
    from glossapi_dagster.phases.math import run_math
    from glossapi_dagster.pool import Device, PoolConfig
    from glossapi_dagster.state import OutputLayout, ProgressStore
    from glossapi_dagster_tests.crash_math import use_crash_engine

    out = sys.argv[1]
    rows = ProgressStore(OutputLayout(out).store_dir).read()[["stem", "path"]].to_dict("records")
    config = PoolConfig(devices=[Device(0), Device(1)], log_dir=f"{out}/logs")
    run_math(out, rows, config, math_engine=use_crash_engine(delay=1.0), accel_type="cpu", max_pages_per_unit=10)
""")


def test_a_killed_controller_reruns_only_the_missing_ranges(extracted, out):
    kill_controller_when(CONTROLLER, [out], lambda: len(done_ranges(out)) >= 2, what="two finished ranges")
    first_run = done_ranges(out)
    assert 2 <= len(first_run) < PAGES // UNIT, "the document finished before the kill"
    assert rows(out)["long"].get("math_status") is None or rows(out)["long"]["math_status"] != "success"
    assert markdown(out) == markdown(extracted["base"])               # Phase 1's, untouched
    report = math(out)
    second_run = done_ranges(out)[len(first_run):]
    assert len(second_run) == PAGES // UNIT - len(first_run)          # only the missing ranges, from the journal
    assert_every_page_once(first_run + second_run, PAGES)
    assert report.counts()["success"] >= 1 and rows(out)["long"]["math_status"] == "success"
    assert comparable(latex_map(out)) == comparable(latex_map(extracted["whole"]))
    assert markdown(out) == markdown(extracted["whole"])


# -- poison pages and the respawn cap ---------------------------------------------------------------
def test_a_poison_page_is_bisected_out_and_listed(extracted, out):
    report = math(out, engine=use_crash_engine(poison_pages=[POISON]))
    assert report.counts()["success"] == 2
    row = rows(out)["long"]
    assert row["math_status"] == "success" and row["math_failed_pages"] == str(POISON)
    side = sidecar(out)
    assert list(side["failed_pages"]) == [str(POISON)] and f"poison page {POISON}" in side["failed_pages"][str(POISON)]
    converted = done_ranges(out)
    assert {(22, 22), (23, 23), (24, 25), (26, 30)} <= set(converted)  # 21-30 bisected down to page 21
    pages_done = Counter(p for a, b in converted for p in range(a, b + 1))
    assert POISON not in pages_done and len(pages_done) == PAGES - 1
    # the other pages' formulas are the whole run's; the poison page's stay as Phase 1 wrote them
    reference = latex_map(extracted["whole"])
    assert comparable(latex_map(out), ("time_ms", "item_index")) == \
        comparable([e for e in reference if e["page_no"] != POISON], ("time_ms", "item_index"))
    elsewhere = {e["latex"] for e in reference if e["page_no"] != POISON}
    lost = [e for e in reference if e["page_no"] == POISON and e["placed"] and e["latex"] not in elsewhere]
    assert len(lost) > 5
    for e in lost:
        placed = f"${e['latex']}$"  # inline $...$, or inside a display $$...$$
        assert placed in markdown(extracted["whole"]) and placed not in markdown(out)
    assert markdown(out).count("$") < markdown(extracted["whole"]).count("$")


def test_too_many_poison_pages_make_it_problematic_naming_them(out, extracted):
    bad = [3, 12, 21, 30, 41, 48]  # 6 of 50 pages > max_failed_page_share 0.1
    math(out, engine=use_crash_engine(poison_pages=bad))
    row = rows(out)["long"]
    assert row["math_status"] == "problematic"
    assert "pages 3, 12, 21, 30, 41, 48" in row["math_error"] and "6 of 50" in row["math_error"]
    assert markdown(out) == markdown(extracted["base"]) and not OutputLayout(out).latex_map("long").exists()


def test_a_range_past_the_respawn_cap_sets_its_document_aside(out, extracted, monkeypatch):
    monkeypatch.setenv("GLOSSAPI_MATH_RESPAWN_CAP", "0")
    # the range 1-10 kills its worker; a second a document or range, so the other worker is not
    # through the queue by then
    report = math(out, engine=use_crash_engine(kill_pages=[5], delay=1.0))
    r = rows(out)
    assert r["short"]["math_status"] == "success"
    assert r["long"]["math_status"] == "fatal" and "respawn cap" in r["long"]["math_error"]
    assert r["long"]["math_error"].startswith("pages 1-10: ")
    assert len(report.exhausted) == 1                                 # the other worker lived on ...
    assert len(done_ranges(out)) <= 2                                 # ... but its other ranges were withdrawn
    layout = OutputLayout(out)
    assert SkipList(layout.skiplist).read() == {"long"}
    assert (layout.quarantine("downloads") / "long.pdf").is_file()
    assert markdown(out) == markdown(extracted["base"])
    assert (1, 10) not in done_ranges(out)  # its part was written, but the journal never had it: not trusted


def test_ranges_no_device_is_left_for_set_their_document_aside(out, extracted, monkeypatch):
    monkeypatch.setenv("GLOSSAPI_MATH_RESPAWN_CAP", "0")
    report = math(out, devices=[0], engine=use_crash_engine(stems=["short"]))  # its death leaves no device
    r = rows(out)
    assert r["short"]["math_status"] == "fatal" and "respawn cap" in r["short"]["math_error"]
    assert r["long"]["math_status"] == "fatal" and "no device left" in r["long"]["math_error"]  # not lost: set aside
    assert {o.item for o in report.outcomes} == {"short", "long"}
    layout = OutputLayout(out)
    assert SkipList(layout.skiplist).read() == {"short", "long"}
    assert {p.name for p in layout.quarantine("downloads").iterdir()} == {"short.pdf", "long.pdf"}
    assert done_ranges(out) == [] and markdown(out) == markdown(extracted["base"])


def test_reprocess_starts_again_from_phase1s_markdown(out, extracted):
    math(out)
    first = markdown(out)
    math(out, reprocess=True)  # every range again (the journal was closed), placed into Phase 1's markdown
    assert markdown(out) == first == markdown(extracted["whole"])
    assert len(done_ranges(out)) == 2 * PAGES // UNIT
    assert comparable(latex_map(out)) == comparable(latex_map(extracted["whole"]))
