"""Triage after extraction (text-quality signals, needs_ocr) and the OCR remediation asset, ocr_docs.

One module run on a real Dagster instance with 2 CPU workers: born-digital Greek PDFs, Greek set in
a legacy font (Latin transliteration), handwriting under a junk text layer, scans, a gazette with
scanned pages; then ocr_docs re-extracts only the flagged ones (first page each, to stay quick).
"""
from __future__ import annotations

import json
import unicodedata

import pandas as pd
import pyarrow.parquet as pq
import pytest
from glossapi_dagster.runs import materialize_extraction, materialize_manifest, materialize_ocr
from glossapi_dagster.backends.quality.triage import text_signals, triage
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import copy_pdfs, resources, temp_instance

# SampleThesis-GR (not redistributable) where GLOSSAPI_TEST_CORPUS has it, else a second cut of FEK_A_5
# (its name sorts into the same shard, so the shards hold the same flagged documents either way)
THESIS, STAND_IN = "SampleThesis-GR", "FEK_A_5_-_17.01.2018_more"
BORN_DIGITAL_GREEK = ["FEK_A_10_-_24.01.2018", "FEK_A_5_-_17.01.2018_pages", "typologio_mas026"]
FLAGGED = {  # stem -> the filter reason it must carry (shard-00000 / shard-00001, 5 files a shard, by name)
    "MAS029-LECTURE1-7.9.2020_nc": "garbled_text",      # handwriting under a junk text layer
    "FEK_A_79_-_30.04.2018": "scanned_pages",           # text pages and scanned pages mixed
    "test_ocr": "scanned_pages",                        # a scanned gazette
    "ocr_test": "is_empty",                             # a scan, no text layer at all
}
# Greek in legacy cbgreek fonts without ToUnicode: decoded to Greek by the backend (issue 15), so
# no longer flagged; it stays in the set, where it was, so the shards hold the same files
LGR_DECODED = "mas002_midterm1_19"
NAMES = ["SampleThesis-GR.pdf", "FEK_A_10_-_24.01.2018.pdf", "typologio_mas026.pdf", "multicolumn.pdf",
         f"{LGR_DECODED}.pdf", *[f"{s}.pdf" for s in FLAGGED]]


def _greek_letters(text: str) -> int:
    return sum(1 for c in text if "\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff")


# -- the signals on their own ---------------------------------------------------------------

def test_text_signals_follow_glossapi_names_and_scales():
    greek = "Η Ελληνική Δημοκρατία ορίζει με νόμο τα δικαιώματα των πολιτών. " * 5
    s = text_signals("<!-- image -->\n" + greek)
    assert s["char_count_no_comments"] == sum(1 for c in greek if not c.isspace())  # the comment left out
    assert s["percentage_greek"] > 95 and s["latin_percentage"] == 0  # GlossAPI's 0-100 scale
    assert s["mojibake_badness_score"] == 0 and s["garbled_text_score"] == 0
    assert text_signals("ἐν ἀρχῇ ἦν ὁ λόγος")["polytonic_ratio"] > 0.3
    assert not triage(greek)["needs_ocr"] and triage(greek)["filter"] == "ok"
    english = "The quick brown fox jumps over the lazy dog, twice a day in iOS. " * 5
    assert not triage(english)["needs_ocr"]


def test_reasons_for_ocr_and_only_for_pdfs():
    empty = triage("<!-- image -->\n\n<!-- image -->")
    assert empty["is_empty"] and empty["needs_ocr"] and empty["filter"] == "is_empty"
    dingbats = triage("▼❆❙ ✵✵✷ ✲ ▼❆❏❍▼❆❚■❑❆ ❊◆❉■❆▼❊❙❍ ❊❳❊❚❆❙❍ " * 10)
    assert dingbats["mojibake_badness_score"] > 0.5 and "mojibake>0.1" in dingbats["filter"].split(";")
    junk = triage("okEaaooE pobpxOVTAU ZoanuaTCApsta nEpnwdEL tK244Xn E1awEAS1 Tewoa dosaS " * 4)
    assert junk["garbled_text_score"] > 0.5 and junk["filter"] == "garbled_text" and junk["needs_ocr"]
    # a docx or html with the same text is never sent to OCR, as in GlossAPI (PDFs only)
    assert not triage("okEaaooE pobpxOVTAU ZoanuaTCApsta nEpnwdEL " * 8, is_pdf=False)["needs_ocr"]


# -- through Dagster -------------------------------------------------------------------------

def _fek5_pages(corpus, dst, name="FEK_A_5_-_17.01.2018_pages", pages=(*range(30), 250, 251)):
    """FEK_A_5 is 260 pages (~2 min to extract here): by default its first 30 text pages and 2 of its
    7 scanned annex pages, as a real PDF cut with pdfium."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(str(corpus / "pdfs" / "FEK_A_5_-_17.01.2018.pdf"))
    new = pdfium.PdfDocument.new()
    new.import_pages(src, list(pages))
    new.save(str(dst / f"{name}.pdf"))
    new.close()
    src.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory, corpus):
    tmp = tmp_path_factory.mktemp("triage")
    input_dir = copy_pdfs(corpus / "pdfs", tmp / "in", NAMES)
    _fek5_pages(corpus, input_dir)
    if not (input_dir / f"{THESIS}.pdf").exists():
        _fek5_pages(corpus, input_dir, STAND_IN, range(40, 46))
    greek = [*BORN_DIGITAL_GREEK, THESIS if (input_dir / f"{THESIS}.pdf").exists() else STAND_IN]
    out = tmp / "out"
    res = resources(input_dir, out)
    with temp_instance(tmp) as instance:
        assert materialize_manifest(instance, res, shard_size=5).success
        assert materialize_extraction(instance, res, phase1_backend="docling").success
        store = ProgressStore(OutputLayout(out).store_dir)
        yield {"instance": instance, "out": out, "res": res, "store": store,
               "before_ocr": {r["stem"]: r for r in store.read().to_dict("records")}, "greek": greek}


def _rows(run) -> dict[str, dict]:
    return {r["stem"]: r for r in run["store"].read().to_dict("records")}


def test_born_digital_greek_is_not_flagged(run):
    rows = run["before_ocr"]
    for stem in run["greek"]:
        row = rows[stem]
        assert row["extract_status"] == "success", stem
        assert row["needs_ocr"] is False and row["filter"] == "ok", (stem, row["filter"])
        assert row["percentage_greek"] > 40, stem
        assert row["mojibake_badness_score"] < 0.01 and row["garbled_text_score"] < 0.1, stem
    # a born-digital gazette with two scanned annex pages: seen, but not worth OCR'ing 32 pages for
    fek5 = rows["FEK_A_5_-_17.01.2018_pages"]
    assert fek5["page_count"] == 32 and fek5["scanned_pages"] == 2
    assert rows["multicolumn"]["needs_ocr"] is False and rows["multicolumn"]["latin_percentage"] > 80


def test_bad_text_layers_and_scans_are_flagged(run):
    rows = run["before_ocr"]
    for stem, reason in FLAGGED.items():
        assert rows[stem]["extract_status"] == "success", stem
        assert rows[stem]["needs_ocr"] is True, (stem, rows[stem]["filter"])
        assert reason in rows[stem]["filter"].split(";"), (stem, rows[stem]["filter"])
    lgr = rows[LGR_DECODED]
    assert lgr["needs_ocr"] is False and lgr["filter"] == "ok" and "lgr" in lgr["text_repair"].split(";")
    assert rows["MAS029-LECTURE1-7.9.2020_nc"]["garbled_text_score"] > 0.3
    assert rows["MAS029-LECTURE1-7.9.2020_nc"]["percentage_greek"] < 1  # no Greek in a Greek lecture
    fek79 = rows["FEK_A_79_-_30.04.2018"]  # 56 pages, most of them scans: per-page counts say so
    assert fek79["page_count"] == 56 and 30 <= fek79["scanned_pages"] <= fek79["empty_pages"] < 56
    assert rows["test_ocr"]["scanned_pages"] == rows["test_ocr"]["page_count"] == 12


def test_signals_are_columns_of_the_store_and_in_the_sidecar(run):
    store = run["store"]
    store.compact()
    schema = pq.read_schema(store.path)
    expected = {"percentage_greek": "double", "latin_percentage": "double", "polytonic_ratio": "double",
                "mojibake_badness_score": "double", "garbled_text_score": "double",
                "char_count_no_comments": "int64", "is_empty": "bool", "empty_pages": "int64",
                "scanned_pages": "int64", "filter": "string", "needs_ocr": "bool"}
    assert {name: str(schema.field(name).type) for name in expected} == expected
    sidecar = json.loads(OutputLayout(run["out"]).sidecar("extract", "FEK_A_79_-_30.04.2018").read_text())
    assert sidecar["filter"] == "scanned_pages" and 2 in sidecar["scanned_page_numbers"]
    assert 1 not in sidecar["scanned_page_numbers"]  # page 1 of FEK_A_79 has its text layer


def test_ocr_docs_reextracts_only_the_flagged_documents_of_its_shards(run, corpus):
    """ocr_docs on shard-00001 only (first page of each document, to stay quick): its flagged
    documents are OCR'd; the flagged ones of shard-00000 and every unflagged one are not touched."""
    layout = OutputLayout(run["out"])
    shard_of = {s: r["shard"] for s, r in run["before_ocr"].items()}
    in_shard = {s for s in FLAGGED if shard_of[s] == "shard-00001"}
    elsewhere = set(FLAGGED) - in_shard
    assert in_shard == {"ocr_test", "test_ocr"} and len(elsewhere) == 2 and shard_of[LGR_DECODED] == "shard-00001"
    untouched = {s: (layout.markdown(s).read_bytes(), layout.sidecar("extract", s).stat().st_mtime_ns)
                 for s in [*run["greek"], "multicolumn", LGR_DECODED, *elsewhere]}
    result = materialize_ocr(run["instance"], run["res"], ["shard-00001"], max_pages=1)
    assert result.success
    [mat] = result.asset_materializations_for_node("ocr_docs")
    assert mat.partition == "shard-00001"
    assert mat.metadata["processed"].value == len(in_shard) and mat.metadata["problematic"].value == 0
    assert set(mat.metadata["ocr_stems"].value) == in_shard

    rows = _rows(run)
    for stem in in_shard:
        row = rows[stem]
        assert row["ocr_success"] is True and row["needs_ocr"] is False, stem
        # page 1 of each OCR'd by Tesseract (ocr_engine='auto': the bundled RapidOCR has no Greek)
        assert row["ocr_engine"] == "tesseract" and row["ocr_pages"] == 1 and row["processing_stage"] == "ocr", stem
        assert row["extract_status"] == "success" and row["page_count"] == run["before_ocr"][stem]["page_count"]
        assert json.loads(layout.sidecar("extract", stem).read_text())["ocr_engine"] == "tesseract"
    for stem, (markdown, mtime) in untouched.items():
        assert pd.isna(rows[stem]["ocr_success"]), stem
        assert rows[stem]["needs_ocr"] is (stem in elsewhere), stem  # still waiting for their shard's run
        assert layout.markdown(stem).read_bytes() == markdown, stem
        assert layout.sidecar("extract", stem).stat().st_mtime_ns == mtime, stem

    scan = layout.markdown("test_ocr").read_text(encoding="utf-8")
    assert _greek_letters(scan) > 300 and unicodedata.is_normalized("NFC", scan)  # page 1 of a Greek gazette
    words = (corpus / "groundtruth" / "ocr_test.md").read_text().split()
    got = layout.markdown("ocr_test").read_text(encoding="utf-8")
    assert all(w in got for w in words), got
    assert _greek_letters(layout.markdown("mas002_midterm1_19").read_text(encoding="utf-8")) > 50
    logs = layout.worker_logs("ocr")
    assert sorted(p.name for p in logs.glob("*.current")) == ["gpu0.current", "gpu1.current"]

    again = materialize_ocr(run["instance"], run["res"], ["shard-00001"], max_pages=1)  # nothing left there
    assert again.success and again.asset_materializations_for_node("ocr_docs") == []
