"""OCR of long documents as page ranges (issue 18 on OCR): real Tesseract, two real CPU workers,
a real Dagster instance, through Corpus.ocr.

The 40-page PDF is made here: born-digital gazette pages (FEK_A_5) with 11 scans of FEK_A_79 among
them (its pages 2-12: a running header over a scanned page, ~0.5 s of Tesseract each), so that
four of its five ranges of 8 pages have pages to OCR and one (17-24) has none. Each run's outputs
are compared with the same document OCR'd whole (max_pages_per_unit=None).
"""
from __future__ import annotations

import json
import shutil
import signal
import textwrap
import threading
from collections import Counter
from pathlib import Path

import psutil
import pytest

from glossapi_dagster.backends.ocr.pages import page_sources, page_texts
from glossapi_dagster.corpus import Corpus
from glossapi_dagster.state import OutputLayout, ProgressStore
from glossapi_dagster.state.artifacts import load_docling_json
from glossapi_dagster.state.ranges import RangeJournal

from .conftest import REPO
from .long_pdf import compose_pdf
from .kills import kill_controller_when, pool_workers, wait_for

pytestmark = pytest.mark.timeout(600)
UNIT = 8
SCANS = {2: 2, 5: 3, 10: 4, 13: 5, 15: 6, 26: 7, 29: 8, 31: 9, 34: 10, 38: 11, 40: 12}  # page -> FEK_A_79's
RANGES = [(1, 8), (9, 16), (17, 24), (25, 32), (33, 40)]
STEM = "mixed"
OCR = dict(mode="ocr_bad", accel_type="cpu", devices=[0, 1], ocr_engine="tesseract")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One Dagster instance for the module: the OCR runs find the shards the extraction made."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        yield home


def _extracted(folder: Path, name: str, pages: list[tuple[Path, int]]) -> Path:
    """An input folder of one PDF and its extraction (safe backend), to copy before each OCR run."""
    compose_pdf(pages, folder / "in" / f"{name}.pdf")
    out = folder / "extracted"
    Corpus(folder / "in", out, progress=False).extract(accel_type="cpu", devices=[0], phase1_backend="safe")
    row = rows(out)[name]
    assert row["extract_status"] == "success" and row["needs_ocr"], row
    return folder


@pytest.fixture(scope="module")
def mixed(home, corpus, tmp_path_factory) -> Path:
    text, scans = corpus / "pdfs" / "FEK_A_5_-_17.01.2018.pdf", corpus / "pdfs" / "FEK_A_79_-_30.04.2018.pdf"
    born_digital = iter(range(1, 41))
    pages = [(scans, SCANS[p]) if p in SCANS else (text, next(born_digital)) for p in range(1, 41)]
    return _extracted(tmp_path_factory.mktemp("mixed"), STEM, pages)


def copy_of(folder: Path, out: Path) -> Path:
    shutil.copytree(folder / "extracted", out)
    return out


def ocr(folder: Path, out: Path, **kw):
    return Corpus(folder / "in", out, progress=False).ocr(**{**OCR, **kw})


@pytest.fixture(scope="module")
def whole(mixed, tmp_path_factory) -> Path:
    """The document OCR'd as one item: what its ranges must add up to."""
    out = copy_of(mixed, tmp_path_factory.mktemp("whole") / "out")
    ocr(mixed, out, max_pages_per_unit=None)
    assert not (out / "ranges").exists()
    return out


def rows(out: Path) -> dict:
    return {r["stem"]: r for r in ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")}


def done_ranges(out: Path, phase: str = "ocr", stem: str = STEM) -> list[tuple[int, int]]:
    return [(e["first"], e["last"]) for e in RangeJournal(out, stem, "", phase).history() if e["status"] == "done"]


def outputs(out: Path, stem: str = STEM) -> tuple[str, dict]:
    """(markdown, Docling JSON), the JSON checked to load with docling-core."""
    from docling_core.types.doc import DoclingDocument

    layout = OutputLayout(out)
    data = load_docling_json(layout.docling_json(stem))
    DoclingDocument.model_validate(data)
    return layout.markdown(stem).read_text(encoding="utf-8"), data


def sidecar(out: Path, stem: str = STEM) -> dict:
    return json.loads(OutputLayout(out).sidecar("extract", stem).read_text(encoding="utf-8"))


def assert_equals_whole(out: Path, whole: Path) -> None:
    row, reference = rows(out)[STEM], rows(whole)[STEM]
    assert row["ocr_success"] is True and row["needs_ocr"] is False, row["ocr_error"]
    assert row["ocr_pages"] == reference["ocr_pages"] == len(SCANS) and row["ocr_engine"] == "tesseract"
    markdown, data = outputs(out)
    whole_markdown, whole_data = outputs(whole)
    assert markdown == whole_markdown
    assert sorted(int(p) for p in data["pages"]) == list(range(1, 41))  # the PDF's page count
    assert page_texts(data) == page_texts(whole_data)
    sources = page_sources(data)
    assert sources == page_sources(whole_data)
    assert sorted(p for p, s in sources.items() if s == "ocr:tesseract") == sorted(SCANS)
    assert sidecar(out)["ocr_page_reasons"] == sidecar(whole)["ocr_page_reasons"]
    assert not list((out / "ranges" / "ocr" / STEM).glob("*.part.zst"))  # parts gone once merged


def assert_every_range_once(ranges: list[tuple[int, int]]) -> None:
    pages = Counter(p for first, last in ranges for p in range(first, last + 1))
    assert sorted(pages) == list(range(1, 41)) and set(pages.values()) == {1}, sorted(ranges)


# -- page mode ----------------------------------------------------------------------------
def test_two_workers_ocr_the_ranges_and_match_the_whole_document(mixed, whole, tmp_path):
    out = copy_of(mixed, tmp_path / "out")
    ocr(mixed, out, max_pages_per_unit=UNIT)
    assert_equals_whole(out, whole)
    assert sorted(done_ranges(out)) == RANGES                # every range once, 17-24 too (an empty part)
    assert rows(out)[STEM]["worker"] == "gpu0,gpu1"          # both workers took ranges of it
    assert rows(out)[STEM]["ocr_failed_pages"] is None and "ocr_failed_pages" not in sidecar(out)
    text = outputs(out)[1]
    extracted = load_docling_json(OutputLayout(mixed / "extracted").docling_json(STEM))
    assert all(page_texts(text)[p] == page_texts(extracted)[p] for p in range(1, 41) if p not in SCANS)
    assert not (out / "ranges" / "extract").exists()         # not extraction's journal
    per_page = json.loads(OutputLayout(out).per_page_metrics(STEM).read_text())
    assert sorted(p["page_no"] for p in per_page if p.get("ocr_sec")) == sorted(SCANS)


def busy_worker(out: Path) -> tuple[psutil.Process, str] | None:
    """A worker in the middle of a range (its marker names it), and the range."""
    logs, alive = out / "logs" / "ocr_workers", {p.pid: p for p in pool_workers()}
    for marker in logs.glob("gpu*.current"):
        held = marker.read_text(encoding="utf-8").strip()
        for log in logs.glob(f"{marker.stem}_*.log") if "#pages=" in held else ():
            pid = int(log.stem.rsplit("_", 1)[1])
            if pid in alive:
                return alive[pid], held.rsplit("#pages=", 1)[1]
    return None


def test_a_worker_killed_mid_document_loses_no_range(mixed, whole, tmp_path):
    out = copy_of(mixed, tmp_path / "out")
    killed = []

    def kill_one():
        wait_for(lambda: len(done_ranges(out)) >= 1 and busy_worker(out), what="a finished range, another begun")
        victim, held = busy_worker(out)
        killed.append(held)
        victim.send_signal(signal.SIGKILL)

    killer = threading.Thread(target=kill_one, daemon=True)
    killer.start()
    ocr(mixed, out, max_pages_per_unit=UNIT)
    killer.join(5)
    assert killed, "no worker was killed"
    first, last = map(int, killed[0].split("-"))
    assert (first, last) in done_ranges(out)                 # the range it held, done by another
    assert_every_range_once(done_ranges(out))                # and no range twice
    assert_equals_whole(out, whole)


CONTROLLER = textwrap.dedent("""
    import sys
    from glossapi_dagster.corpus import Corpus
    Corpus(sys.argv[1], sys.argv[2], progress=False).ocr(mode="ocr_bad", accel_type="cpu", devices=[0, 1],
                                                         ocr_engine="tesseract", max_pages_per_unit=int(sys.argv[3]))
""")


def test_a_rerun_after_the_controller_is_killed_ocrs_only_the_missing_ranges(mixed, whole, tmp_path):
    out = copy_of(mixed, tmp_path / "out")
    kill_controller_when(CONTROLLER, [mixed / "in", out, UNIT], lambda: len(done_ranges(out)) >= 1, timeout=300,
                         what="a finished range")
    first_run = done_ranges(out)
    assert 1 <= len(first_run) < len(RANGES), "the document finished before the kill"
    assert rows(out)[STEM].get("ocr_success") is not True
    assert sidecar(out).get("ocr_page_reasons") is None      # the extracted outputs untouched: never half-merged
    ocr(mixed, out, max_pages_per_unit=UNIT)
    second_run = done_ranges(out)[len(first_run):]
    assert len(second_run) == len(RANGES) - len(first_run)  # only the missing ranges, counted in the journal
    assert_every_range_once(first_run + second_run)
    assert_equals_whole(out, whole)


# -- whole_document -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def scans(home, corpus, tmp_path_factory) -> Path:
    """Nine scanned pages (FEK_A_79's 2-10): whole_document OCRs every one."""
    pdf = corpus / "pdfs" / "FEK_A_79_-_30.04.2018.pdf"
    return _extracted(tmp_path_factory.mktemp("scans"), "scans", [(pdf, p) for p in range(2, 11)])


def test_whole_document_over_ranges_equals_the_unranged_run(scans, tmp_path):
    ranged, unranged = copy_of(scans, tmp_path / "ranged"), copy_of(scans, tmp_path / "unranged")
    ocr(scans, ranged, whole_document=True, max_pages_per_unit=3)
    ocr(scans, unranged, whole_document=True, max_pages_per_unit=None)
    for out in (ranged, unranged):
        row = rows(out)["scans"]
        assert row["ocr_success"] is True, row["ocr_error"]
        assert row["ocr_pages"] == 9 and row["page_count"] == 9 and row["extraction_backend"] == "tesseract"
    assert sorted(done_ranges(ranged, "ocr_whole", "scans")) == [(1, 3), (4, 6), (7, 9)]
    assert not (ranged / "ranges" / "extract").exists() and not (unranged / "ranges").exists()
    markdown, data = outputs(ranged, "scans")
    whole_markdown, whole_data = outputs(unranged, "scans")
    assert markdown == whole_markdown and "ΕΦΗΜΕΡΙ" in markdown
    assert sorted(int(p) for p in data["pages"]) == list(range(1, 10))
    assert page_texts(data) == page_texts(whole_data)
    assert set(page_sources(data).values()) == {"ocr:tesseract"}


# -- pages whose OCR fails ----------------------------------------------------------------
def test_a_page_whose_ocr_times_out_keeps_its_text_layer_and_is_listed(home, corpus, tmp_path):
    """A dense scan (a gazette page as an image: ~4 s of Tesseract) past a per-page limit of
    0.5 s + 1 s: bisected out of its range and listed; a light scan (ocr_test.pdf, 0.3 s) OCR'd.
    In 6 pages that is within max_failed_page_share=0.2; in 4 pages it is not: a failed OCR. A
    document whose extracted JSON is gone fails as one item."""
    from .ocr_fixtures import image_pdf

    text, light = corpus / "pdfs" / "FEK_A_5_-_17.01.2018.pdf", corpus / "pdfs" / "ocr_test.pdf"
    dense = image_pdf(text, [3], tmp_path / "dense.pdf")
    folder = tmp_path / "case"
    compose_pdf([(text, 1), (text, 2), (dense, 1), (text, 4), (light, 1), (text, 6)], folder / "in" / "six.pdf")
    compose_pdf([(dense, 1), (text, 2), (light, 1), (text, 4)], folder / "in" / "four.pdf")
    compose_pdf([(light, 1), (text, 2), (light, 1), (text, 4)], folder / "in" / "lost.pdf")
    extracted = folder / "extracted"
    Corpus(folder / "in", extracted, progress=False).extract(accel_type="cpu", devices=[0], phase1_backend="safe")
    assert all(r["needs_ocr"] for r in rows(extracted).values())
    out = copy_of(folder, folder / "out")
    OutputLayout(out).docling_json("lost").unlink()         # nothing to OCR pages into
    ocr(folder, out, max_pages_per_unit=2, max_failed_page_share=0.2, max_attempts=1, respawn_cap=10,
        page_time_budget=0.5, range_startup_timeout=1.0)
    got = rows(out)
    six = got["six"]
    assert six["ocr_success"] is True, six["ocr_error"]
    assert six["ocr_failed_pages"] == "3" and six["ocr_pages"] == 1
    reason = sidecar(out, "six")["ocr_failed_pages"]["3"]
    assert reason.startswith("timeout: no result after 1.5s"), reason   # 0.5 s x 1 page + 1 s
    _, data = outputs(out, "six")
    before = load_docling_json(OutputLayout(extracted).docling_json("six"))
    assert page_sources(data) == {1: "text_layer", 2: "text_layer", 3: "text_layer", 4: "text_layer",
                                  5: "ocr:tesseract", 6: "text_layer"}
    assert page_texts(data)[3] == page_texts(before)[3]      # its text layer, as extracted
    four = got["four"]
    assert four["ocr_success"] is False
    assert "1 of 4 pages failed" in four["ocr_error"] and "pages 1;" in four["ocr_error"], four["ocr_error"]
    assert outputs(out, "four") == outputs(extracted, "four")  # a failed OCR leaves the extraction as it was
    for stem in ("six", "four"):
        assert not list((out / "ranges" / "ocr" / stem).glob("*.part.zst"))
    lost = got["lost"]                                        # one item that says why, not 4 failed pages
    assert lost["ocr_success"] is False and lost["ocr_error"].startswith("no Docling JSON"), lost["ocr_error"]
    assert not (out / "ranges" / "ocr" / "lost").exists()
