"""Long documents as page ranges (issue 18): real workers, real PDFs, a real Dagster instance.

The ~1,000-page PDF is made here from corpus documents (pypdfium2's import_pages); the safe
backend converts it in seconds. Docling native runs on a 40-page document in ranges of 10.
Poison pages come through the tests' own backend (poison_backend.py), registered by name.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import textwrap
import threading
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from glossapi_dagster.corpus import Corpus
from glossapi_dagster.state.artifacts import load_docling_json
from glossapi_dagster.phases.ranges import missing_ranges
from glossapi_dagster.state import OutputLayout, ProgressStore
from glossapi_dagster.state.ranges import RangeJournal, file_fingerprint
from glossapi_dagster_tests import long_pdf, poison_backend
from glossapi_dagster_tests.kills import kill_controller_when, pool_workers, wait_for

pytestmark = pytest.mark.timeout(600)
LONG_SOURCES = ["FEK_A_5_-_17.01.2018.pdf", "GeoTopo-komprimiert.pdf", "FEK_A_79_-_30.04.2018.pdf"]
SHORT = "redp5110_sampled.pdf"


def build_pdf(corpus: Path, names: list[str], pages: int, dst: Path) -> Path:
    return long_pdf.build_pdf(corpus / "pdfs", names, pages, dst)


@pytest.fixture(scope="module")
def long_input(corpus, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("long_in")
    build_pdf(corpus, LONG_SOURCES, 1000, folder / "long.pdf")
    shutil.copyfile(corpus / "pdfs" / SHORT, folder / SHORT)
    return folder


def extract(input_dir: Path, out: Path, devices=(0, 1), **kw):
    kw.setdefault("phase1_backend", "safe")
    return Corpus(input_dir, out, progress=False).extract(accel_type="cpu", devices=list(devices), **kw)


def rows(out: Path) -> dict:
    df = ProgressStore(OutputLayout(out).store_dir).read()
    return {r["stem"]: r for r in df.to_dict("records")}


def history(out: Path, stem: str) -> list[dict]:
    return RangeJournal(out, stem, "").history()


def done_ranges(out: Path, stem: str) -> list[tuple[int, int]]:
    return [(e["first"], e["last"]) for e in history(out, stem) if e["status"] == "done"]


def docling_pages(out: Path, stem: str) -> tuple[dict, dict]:
    """The Docling JSON (checked to load with docling-core) and its texts by page."""
    from docling_core.types.doc import DoclingDocument

    data = load_docling_json(OutputLayout(out).docling_json(stem))
    doc = DoclingDocument.model_validate(data)
    by_page = defaultdict(list)
    for item in doc.texts:
        for prov in item.prov:
            by_page[prov.page_no].append(item.text)
    return {"pages": sorted(doc.pages)}, by_page


def assert_every_page_once(ranges: list[tuple[int, int]], total: int) -> None:
    pages = Counter(p for first, last in ranges for p in range(first, last + 1))
    assert sorted(pages) == list(range(1, total + 1)), "a page is missing"
    assert set(pages.values()) == {1}, "a range was converted twice"


@pytest.fixture
def poison(monkeypatch):
    poison_backend.register()
    for var in ("RAISE", "HANG", "KILL"):
        monkeypatch.delenv(f"GLOSSAPI_TEST_POISON_{var}", raising=False)
    monkeypatch.delenv("GLOSSAPI_TEST_PAGE_DELAY", raising=False)
    return monkeypatch


# -- ranges and stitching -----------------------------------------------------------------
def test_missing_ranges_fill_the_gaps():
    assert [(r.first, r.last) for r in missing_ranges("x.pdf", 25, 10, [], {})] == [(1, 9), (10, 17), (18, 25)]
    assert [(r.first, r.last) for r in missing_ranges("x.pdf", 20, 10, [], {})] == [(1, 10), (11, 20)]
    got = missing_ranges("x.pdf", 25, 10, [(1, 10), (14, 15)], {12: "boom"})
    assert [(r.first, r.last) for r in got] == [(11, 11), (13, 13), (16, 25)]
    got = missing_ranges("x.pdf", 40, 10, [(1, 10)], {})  # 30 pages left: three of 10, no tail
    assert [(r.first, r.last) for r in got] == [(11, 20), (21, 30), (31, 40)]


def test_two_workers_share_a_long_document_and_match_one(long_input, tmp_path, dagster_home):
    one, two = tmp_path / "one", tmp_path / "two"
    extract(long_input, one, devices=[0], max_pages_per_unit=50)
    extract(long_input, two, devices=[0, 1], max_pages_per_unit=50)
    for out in (one, two):
        row = rows(out)["long"]
        assert row["extract_status"] == "success", row["extract_error"]
        assert row["page_count"] == 1000
        meta, by_page = docling_pages(out, "long")
        assert meta["pages"] == list(range(1, 1001))       # docling-core loads it; every page, in order
        assert sorted(by_page) == sorted(by_page, key=int)
        assert_every_page_once(done_ranges(out, "long"), 1000)
        assert not list((out / "ranges" / "extract" / "long").glob("*.part.zst"))  # parts gone once stitched
    assert rows(two)["long"]["worker"] == "gpu0,gpu1"       # both workers took ranges of it
    # the journal names each range's worker (a run that only assembles the document names them)
    assert {e["worker"] for e in history(two, "long") if e["status"] == "done"} == {"gpu0", "gpu1"}
    assert rows(two)[SHORT[:-4]]["worker"] in ("gpu0", "gpu1")  # a short document: one item
    assert not (two / "ranges" / "extract" / SHORT[:-4]).exists()
    md1 = OutputLayout(one).markdown("long").read_text(encoding="utf-8")
    md2 = OutputLayout(two).markdown("long").read_text(encoding="utf-8")
    assert md1 == md2 and "ΝΟΜΟΣ" in md2
    # the stitched text is the PDF's: each source's text in page order (FEK_A_5 opens it)
    assert md2.index("ΝΟΜΟΣ ΥΠ’ ΑΡΙΘΜ. 4512") < 200
    sidecar = json.loads(OutputLayout(two).sidecar("extract", "long").read_text(encoding="utf-8"))
    assert sidecar["page_count"] == 1000 and "failed_pages" not in sidecar


def test_docling_native_ranges_keep_every_page(corpus, tmp_path, dagster_home):
    src = tmp_path / "in"
    build_pdf(corpus, [SHORT], 40, src / "forty.pdf")
    ranged, whole = tmp_path / "ranged", tmp_path / "whole"
    extract(src, ranged, devices=[0, 1], phase1_backend="docling", max_pages_per_unit=10)
    extract(src, whole, devices=[0], phase1_backend="docling", max_pages_per_unit=None)
    r = rows(ranged)["forty"]
    assert r["extract_status"] == "success", r["extract_error"]
    assert r["page_count"] == 40 and r["extraction_backend"] == "docling-native"
    assert_every_page_once(done_ranges(ranged, "forty"), 40)
    meta, ranged_pages = docling_pages(ranged, "forty")
    _, whole_pages = docling_pages(whole, "forty")
    assert meta["pages"] == list(range(1, 41))
    assert ranged_pages == whole_pages                      # page by page, what one conversion gives
    assert not (whole / "ranges").exists()


def test_ranges_of_a_gazette_read_as_one_conversion(corpus, tmp_path, dagster_home):
    # 260 pages in ranges of at most 129: two of 129 and a 2-page tail would leave the tail's
    # running header in the body (the safe backend finds headers by their repetition); even
    # ranges (87, 87, 86) give what one conversion gives
    src = tmp_path / "in"
    src.mkdir()
    shutil.copyfile(corpus / "pdfs" / "FEK_A_5_-_17.01.2018.pdf", src / "fek5.pdf")
    ranged, whole = tmp_path / "ranged", tmp_path / "whole"
    extract(src, ranged, devices=[0, 1], max_pages_per_unit=129)
    extract(src, whole, devices=[0], max_pages_per_unit=None)
    assert sorted(done_ranges(ranged, "fek5")) == [(1, 87), (88, 174), (175, 260)]
    md = OutputLayout(ranged).markdown("fek5").read_text(encoding="utf-8")
    assert md == OutputLayout(whole).markdown("fek5").read_text(encoding="utf-8")
    assert "ΕΦΗΜΕΡΙΔΑ ΤΗΣ ΚΥΒΕΡΝΗΣΕΩΣ Τεύχος Α’ 5/17.01.2018" not in md  # the running header


# -- resume -------------------------------------------------------------------------------
def test_worker_killed_mid_document_loses_no_range(long_input, tmp_path, dagster_home, poison):
    poison.setenv("GLOSSAPI_TEST_PAGE_DELAY", "0.004")  # ~0.4 s a range of 100 pages
    out = tmp_path / "out"
    killed = []

    def kill_one():
        wait_for(lambda: len(done_ranges(out, "long")) >= 2, what="two finished ranges")
        victim = pool_workers()[0]
        killed.append(victim.pid)
        victim.send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_one, daemon=True)
    killer.start()
    extract(long_input, out, phase1_backend="poison")
    killer.join(5)
    assert killed, "no worker was killed"
    row = rows(out)["long"]
    assert row["extract_status"] == "success", row["extract_error"]
    assert row["page_count"] == 1000
    assert_every_page_once(done_ranges(out, "long"), 1000)  # the killed range was redone, no other
    assert docling_pages(out, "long")[0]["pages"] == list(range(1, 1001))


CONTROLLER = textwrap.dedent("""
    import sys
    from glossapi_dagster_tests import poison_backend
    from glossapi_dagster.corpus import Corpus
    poison_backend.register()
    Corpus(sys.argv[1], sys.argv[2], progress=False).extract(accel_type="cpu", devices=[0, 1],
                                                             phase1_backend="poison")
""")


def test_controller_killed_mid_document_rerun_converts_only_missing(long_input, tmp_path, dagster_home, poison):
    out = tmp_path / "out"
    kill_controller_when(CONTROLLER, [long_input, out], lambda: len(done_ranges(out, "long")) >= 3, timeout=300,
                         what="three finished ranges", env={"GLOSSAPI_TEST_PAGE_DELAY": "0.01"})
    first_run = done_ranges(out, "long")
    assert len(first_run) < 10, "the document finished before the kill"
    assert rows(out).get("long", {}).get("extract_status") != "success"
    assert not OutputLayout(out).markdown("long").exists()   # never half-written
    extract(long_input, out, phase1_backend="poison")
    second_run = done_ranges(out, "long")[len(first_run):]
    assert len(second_run) == 10 - len(first_run)             # only the missing ranges, counted in the journal
    assert_every_page_once(first_run + second_run, 1000)
    row = rows(out)["long"]
    assert row["extract_status"] == "success", row["extract_error"]
    assert docling_pages(out, "long")[0]["pages"] == list(range(1, 1001))


# -- poison pages -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fifty_six(corpus, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("poison_in")
    shutil.copyfile(corpus / "pdfs" / "FEK_A_79_-_30.04.2018.pdf", folder / "fek79.pdf")
    return folder


def _page_text(out: Path, stem: str, page: int) -> str:
    return " ".join(docling_pages(out, stem)[1][page])


def test_a_raising_page_is_bisected_out_and_listed(fifty_six, tmp_path, dagster_home, poison):
    poison.setenv("GLOSSAPI_TEST_POISON_RAISE", "23")
    out = tmp_path / "out"
    extract(fifty_six, out, phase1_backend="poison", max_pages_per_unit=10)
    row = rows(out)["fek79"]
    assert row["extract_status"] == "success", row["extract_error"]
    assert row["failed_pages"] == "23" and row["page_count"] == 56
    sidecar = json.loads(OutputLayout(out).sidecar("extract", "fek79").read_text(encoding="utf-8"))
    assert list(sidecar["failed_pages"]) == ["23"] and "poison page 23" in sidecar["failed_pages"]["23"]
    meta, by_page = docling_pages(out, "fek79")
    assert meta["pages"] == list(range(1, 57)) and 23 not in by_page and 22 in by_page and 24 in by_page
    md = OutputLayout(out).markdown("fek79").read_text(encoding="utf-8")
    hole = md.index("<!-- page 23 failed to convert")
    last22 = by_page[22][-1] if by_page[22] else ""
    first24 = next(t for t in by_page[24] if t in md)
    assert md.index(first24) > hole > (md.index(last22) if last22 in md else -1)  # at its place
    converted = done_ranges(out, "fek79")
    assert (21, 29) not in converted                       # 21-29 failed, then its halves were tried
    assert {(21, 22), (24, 25), (26, 29)} <= set(converted)   # down to page 23 alone
    pages_done = Counter(p for a, b in converted for p in range(a, b + 1))
    assert 23 not in pages_done and len(pages_done) == 55 and set(pages_done.values()) == {1}


def test_too_many_poison_pages_make_it_problematic_naming_them(fifty_six, tmp_path, dagster_home, poison):
    bad = [3, 17, 30, 45, 50, 51]  # 6 of 56 pages > max_failed_page_share 0.1
    poison.setenv("GLOSSAPI_TEST_POISON_RAISE", ",".join(map(str, bad)))
    out = tmp_path / "out"
    extract(fifty_six, out, phase1_backend="poison", max_pages_per_unit=10)
    row = rows(out)["fek79"]
    assert row["extract_status"] == "problematic"
    assert "pages 3, 17, 30, 45, 50, 51" in row["extract_error"] and "6 of 56" in row["extract_error"]
    assert not OutputLayout(out).markdown("fek79").exists()


def test_a_page_that_kills_its_worker_is_listed(fifty_six, tmp_path, dagster_home, poison):
    poison.setenv("GLOSSAPI_TEST_POISON_KILL", "5")
    out = tmp_path / "out"
    extract(fifty_six, out, phase1_backend="poison", max_pages_per_unit=10)
    row = rows(out)["fek79"]
    assert row["extract_status"] == "success", row["extract_error"]
    assert row["failed_pages"] == "5"
    assert "died" in json.loads(OutputLayout(out).sidecar("extract", "fek79").read_text())["failed_pages"]["5"]


def test_a_replaced_pdf_does_not_reuse_old_ranges(tmp_path, corpus):
    pdf = tmp_path / "a.pdf"
    shutil.copyfile(corpus / "pdfs" / "FEK_A_79_-_30.04.2018.pdf", pdf)
    journal = RangeJournal(tmp_path / "out", "a", file_fingerprint(pdf))
    journal.part(1, 10).parent.mkdir(parents=True)
    journal.part(1, 10).write_bytes(b"x")
    journal.record(1, 10, "done")
    assert journal.finished()[0] == [(1, 10)]
    os.utime(pdf, ns=(1, 1))  # a new version of the file
    assert RangeJournal(tmp_path / "out", "a", file_fingerprint(pdf)).finished() == ([], {})


def test_parts_made_from_an_earlier_extraction_are_not_reused(tmp_path, corpus):
    # OCR's and math's parts are made from the extracted outputs too: a re-extraction voids them
    from glossapi_dagster.phases.long_docs import LongDocuments

    pdf, extracted = tmp_path / "a.pdf", tmp_path / "a.docling.json.zst"
    shutil.copyfile(corpus / "pdfs" / "FEK_A_79_-_30.04.2018.pdf", pdf)
    extracted.write_bytes(b"v1")
    layout, row = OutputLayout(tmp_path / "out"), {"path": str(pdf), "stem": "a", "size": 1}

    def plan():
        long = LongDocuments(layout, 28, 0.1, complete=lambda doc: {}, phase="ocr", inputs=lambda r: [extracted])
        return sorted((r.first, r.last) for r in long.plan([row], lambda r: 1, False)), long.docs["a"].journal

    ranges, journal = plan()
    assert ranges == [(1, 28), (29, 56)]
    journal.part(1, 28).parent.mkdir(parents=True)
    journal.part(1, 28).write_bytes(b"x")
    journal.record(1, 28, "done")
    assert plan()[0] == [(29, 56)]           # a resume: only the missing range
    os.utime(extracted, ns=(1, 1))           # extracted again since
    assert plan()[0] == [(1, 28), (29, 56)]


def test_a_hanging_page_is_timed_out_per_page_and_listed(fifty_six, tmp_path, dagster_home, poison):
    poison.setenv("GLOSSAPI_TEST_POISON_HANG", "5")
    out = tmp_path / "out"
    # a range of n pages may take 0.5 n + 2 s
    extract(fifty_six, out, phase1_backend="poison", max_pages_per_unit=2, page_time_budget=0.5,
            range_startup_timeout=2.0)
    row = rows(out)["fek79"]
    assert row["extract_status"] == "success", row["extract_error"]
    assert row["failed_pages"] == "5"
    reason = json.loads(OutputLayout(out).sidecar("extract", "fek79").read_text())["failed_pages"]["5"]
    assert reason.startswith("timeout: no result after 2.5s")  # 0.5 s x 1 page + 2 s


def test_force_ocr_ranges_match_one_conversion(corpus, tmp_path, dagster_home):
    src = tmp_path / "in"
    build_pdf(corpus, ["ocr_test.pdf"], 3, src / "scan.pdf")
    ranged, whole = tmp_path / "ranged", tmp_path / "whole"
    common = dict(phase1_backend="safe", force_ocr=True, ocr_engine="tesseract")
    extract(src, ranged, devices=[0, 1], max_pages_per_unit=1, **common)
    extract(src, whole, devices=[0], max_pages_per_unit=None, **common)
    r = rows(ranged)["scan"]
    assert r["extract_status"] == "success", r["extract_error"]
    assert r["page_count"] == 3 and r["ocr_pages"] == 3 and r["extraction_backend"] == "tesseract"
    assert_every_page_once(done_ranges(ranged, "scan"), 3)
    meta, ranged_pages = docling_pages(ranged, "scan")
    assert meta["pages"] == [1, 2, 3] and ranged_pages == docling_pages(whole, "scan")[1]
    assert all(ranged_pages[p] for p in (1, 2, 3))


def test_splice_is_one_conversion_and_what_concatenate_gives(corpus):
    from docling_core.types.doc import DoclingDocument

    from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor
    from glossapi_dagster.phases.stitch import empty_document, splice

    pdf = corpus / "pdfs" / "FEK_A_5_-_17.01.2018.pdf"  # 260 pages, running headers on every page
    safe = SafePdfExtractor()
    parts = [safe.convert(pdf, r).data for r in ((1, 100), (101, 200), (201, 260))]
    whole = safe.convert(pdf).data
    spliced = DoclingDocument.model_validate(splice(parts, empty_document(), "fek5"))
    one = DoclingDocument.model_validate(whole)

    def items(doc, layer):
        return [(t.label, t.text, t.prov[0].page_no) for t, _ in doc.iterate_items(included_content_layers={layer})]

    from docling_core.types.doc import ContentLayer

    assert sorted(spliced.pages) == list(range(1, 261))
    assert items(spliced, ContentLayer.BODY) == items(one, ContentLayer.BODY)
    assert len(spliced.furniture.children) == len(one.furniture.children) > 200   # headers kept
    concatenated = DoclingDocument.concatenate([DoclingDocument.model_validate(p) for p in parts])
    assert items(concatenated, ContentLayer.BODY) == items(spliced, ContentLayer.BODY)
