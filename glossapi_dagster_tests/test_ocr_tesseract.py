"""Tesseract (ell, grc, eng) as an OCR engine: Greek and English word recall against the corpus's
references, a polytonic page with its breathings, 'auto' choosing by the RapidOCR recogniser's
dictionary, and a clear error before any work when language data is missing."""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from glossapi_dagster.backends.ocr.rapidocr import ENV_MODEL_DIR, bundled_model_dir, resolve_models
from glossapi_dagster.backends.ocr.engines import build_engine, ocr_preflight, resolve_engine
from glossapi_dagster.backends.ocr.tesseract import ENV_TESSDATA, TesseractLanguageMissing, check_languages, tessdata_dir
from glossapi_dagster.runs import materialize_extraction, materialize_manifest
from glossapi_dagster.state.artifacts import load_docling_json
from glossapi_dagster.backends.ocr.pages import extra_langs, page_sources
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import copy_pdfs, resources
from .ocr_fixtures import POLYTONIC_TEXT, polytonic_pdf
from .ocr_quality import greek_extended, recall

FEK = "FEK_A_10_-_24.01.2018"
log = logging.getLogger("test-tesseract")


@pytest.fixture
def no_model_env(monkeypatch):
    monkeypatch.delenv(ENV_MODEL_DIR, raising=False)


@pytest.fixture(scope="module")
def tesseract():
    return build_engine("tesseract", 1, "cpu", log, {}, "ell+eng")


def test_force_ocr_with_tesseract_reads_the_greek_gazette(tmp_path, corpus, instance):
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", [f"{FEK}.pdf"])
    out = tmp_path / "out"
    res = resources(input_dir, out, devices=[0])
    assert materialize_manifest(instance, res).success
    result = materialize_extraction(instance, res, force_ocr=True, ocr_engine="tesseract")
    assert result.success
    said = [e.user_message for e in instance.all_logs(result.run_id) if "OCR engine:" in (e.user_message or "")]
    assert len(said) == 1 and "tesseract" in said[0] and "ell+eng" in said[0]  # the choice, once per run
    layout = OutputLayout(out)
    row = ProgressStore(layout.store_dir).read().to_dict("records")[0]
    assert row["extract_status"] == "success" and row["extraction_backend"] == "tesseract"
    assert row["ocr_pages"] == 2 and row["ocr_engine"] == "tesseract" and row["ocr_success"] is True
    markdown = layout.markdown(FEK).read_text(encoding="utf-8")
    reference = (corpus / "groundtruth" / f"{FEK}.txt").read_text(encoding="utf-8")
    assert recall(reference, markdown) >= 0.85, markdown[:2000]
    assert "ΠΡΟΕΔΡΟΣ ΤΗΣ ΕΛΛΗΝΙΚΗΣ ΔΗΜΟΚΡΑΤΙΑΣ" in markdown and "µ" not in markdown  # mu, not the micro sign
    assert page_sources(load_docling_json(layout.docling_json(FEK))) == {1: "ocr:tesseract", 2: "ocr:tesseract"}
    per_page = [p["ocr_sec"] for p in __import__("json").loads(layout.per_page_metrics(FEK).read_text())]
    assert len(per_page) == 2 and all(s > 0 for s in per_page)


@pytest.mark.parametrize("name,reference", [("ocr_test", "ocr_test.md"), ("2305.03393v1-pg9", "2305.03393v1-pg9.md"),
                                            ("amt_handbook_sample", "amt_handbook_sample.md")])
def test_english_pages_with_the_default_languages(tesseract, corpus, name, reference):
    conv = tesseract.convert(corpus / "pdfs" / f"{name}.pdf")
    text = conv.document.export_to_markdown()
    assert recall((corpus / "groundtruth" / reference).read_text(encoding="utf-8"), text) >= 0.85, text[:1500]
    item = conv.document.texts[0]
    assert item.prov[0].page_no == 1 and item.prov[0].bbox.coord_origin.value == "BOTTOMLEFT"


def test_polytonic_page_keeps_breathings_and_accents_with_grc(tmp_path):
    pdf = polytonic_pdf(tmp_path / "polytonic.pdf")
    source = "\n".join(POLYTONIC_TEXT)
    grc = build_engine("tesseract", 1, "cpu", log, {}, "grc+ell")
    text = grc.convert(pdf).document.export_to_markdown()
    assert greek_extended(text) >= 0.9 * greek_extended(source), text
    assert recall(source, text) >= 0.85, text
    for word in ("ἀρχῇ", "λόγος", "ἀνθρώπων", "Ἀχιλῆος"):
        assert word in text, text
    # asked of modern Greek alone, the page reads as polytonic and is read again with grc (issues 26, 29)
    plain = build_engine("tesseract", 1, "cpu", log, {}, "ell").convert(pdf)
    assert plain.page_quality[1]["langs"] == "grc"  # read with ell alone first (issue 29), then grc
    assert greek_extended(plain.document.export_to_markdown()) >= 0.9 * greek_extended(source)


def test_grc_is_added_for_a_polytonic_text_layer_only():
    assert extra_langs({"polytonic_ratio": 0.4}, ["ell", "eng"]) == ["grc"]
    assert extra_langs({"polytonic_ratio": 0.0}, ["ell", "eng"]) == []
    assert extra_langs({"polytonic_ratio": 0.4}, ["grc", "ell"]) == []


# -- auto --------------------------------------------------------------------------------------

def test_auto_takes_tesseract_without_a_greek_recogniser(no_model_env):
    engine, why = resolve_engine("auto")
    assert engine == "tesseract" and "has no Greek" in why  # the bundled recogniser: no accents, no final sigma


def test_auto_takes_rapidocr_with_a_greek_dictionary(tmp_path, monkeypatch, caplog):
    """A model folder in GlossAPI's layout (det/inference.onnx, rec/inference.onnx,
    greek_ppocrv5_keys.txt) made of the bundled models and a Greek keys file (what is tested is
    the choice, not the recognition)."""
    bundled = resolve_models()
    folder = tmp_path / "greek-ppocr"
    for role, path in (("det", bundled.det), ("rec", bundled.rec)):
        (folder / role).mkdir(parents=True)
        os.symlink(path, folder / role / "inference.onnx")
    keys = [chr(c) for c in range(0x20, 0x7F)] + list("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώΆΈΉΊΌΎΏϊϋΐΰ")
    (folder / "greek_ppocrv5_keys.txt").write_text("\n".join(keys) + "\n", encoding="utf-8")
    monkeypatch.setenv(ENV_MODEL_DIR, str(folder))
    engine, why = resolve_engine("auto")
    assert engine == "rapidocr" and "has Greek" in why and str(folder / "rec" / "inference.onnx") in why
    with caplog.at_level(logging.INFO):
        assert ocr_preflight("auto", "ell+eng", log=log) == "rapidocr"
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "eng=yes" in said and "ell=yes" in said and "grc=no" in said
    # explicit choices are kept whatever the recogniser
    assert resolve_engine("tesseract")[0] == "tesseract" and resolve_engine("rapidocr")[0] == "rapidocr"
    with pytest.raises(ValueError, match="ocr_engine must be one of"):
        resolve_engine("easyocr")


def test_preflight_warns_when_greek_is_asked_of_the_bundled_recogniser(no_model_env, caplog):
    with caplog.at_level(logging.INFO):
        assert ocr_preflight("rapidocr", "ell+eng", log=log) == "rapidocr"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Greek (ell)" in warnings[0] and "ocr_engine='tesseract'" in warnings[0]
    assert bundled_model_dir().name in warnings[0] or "bundled" in warnings[0]


# -- missing language data ---------------------------------------------------------------------

@pytest.fixture
def english_only(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "tessdata"
    folder.mkdir()
    os.symlink(tessdata_dir() / "eng.traineddata", folder / "eng.traineddata")
    monkeypatch.setenv(ENV_TESSDATA, str(folder))
    return folder


def test_missing_language_data_names_the_package(english_only):
    with pytest.raises(TesseractLanguageMissing, match=r"ell.*apt-get install -y tesseract-ocr-ell\b"):
        check_languages("ell+eng")
    with pytest.raises(TesseractLanguageMissing, match="tesseract-ocr-ell tesseract-ocr-grc"):
        check_languages("ell+grc+eng")
    assert check_languages("eng") == (english_only, ["eng"])


def test_missing_language_data_fails_before_any_work(english_only, tmp_path, corpus, dagster_home):
    from glossapi_dagster.corpus import Corpus

    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["ocr_test.pdf"])
    out = tmp_path / "out"
    with pytest.raises(TesseractLanguageMissing, match="tesseract-ocr-ell"):
        Corpus(input_dir, out, progress=False).extract(do_ocr=True, ocr_engine="tesseract", accel_type="cpu")
    assert not out.exists()  # nothing was started: no store, no worker logs
    # through the CLI: one line naming the package, exit status 2
    from glossapi_dagster.cli import main

    assert main(["extract", str(input_dir), str(out), "--force-ocr", "--ocr-engine", "tesseract",
                 "--accel-type", "cpu"]) == 2
    assert not out.exists()
    shutil.rmtree(input_dir)


def test_a_run_checks_the_ocr_language_data_once(tmp_path, corpus, dagster_home, monkeypatch):
    """Corpus checks the engine and its language data before any work, and the run it starts
    checks before its workers: in one process the data is read once (the second only logs). The
    reads are seen as they happen: Python's audit events for listing the folder (the workers, in
    processes of their own, read it for themselves and are not counted)."""
    import sys

    from glossapi_dagster.backends.ocr.tesseract import check_languages
    from glossapi_dagster.corpus import Corpus

    folder = tmp_path / "tessdata"  # a folder of its own: no check of an earlier test counts
    folder.mkdir()
    for lang in ("ell", "eng"):
        os.symlink(tessdata_dir() / f"{lang}.traineddata", folder / f"{lang}.traineddata")
    monkeypatch.setenv(ENV_TESSDATA, str(folder))
    listings: list | None = []

    def watch(event, args):  # an audit hook stays for the process's life: it counts only while the list is there
        if listings is not None and event == "os.scandir" and args and isinstance(args[0], (str, os.PathLike)) \
                and os.fspath(args[0]) == str(folder):
            listings.append(event)

    sys.addaudithook(watch)
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["ocr_test.pdf"])
    try:
        check_languages(["ell", "eng"])  # what one check reads
        one_check, listings[:] = list(listings), []
        summary = Corpus(input_dir, tmp_path / "out", progress=False).extract(do_ocr=True, ocr_engine="tesseract",
                                                                               accel_type="cpu")
        seen = list(listings)
    finally:
        listings = None
    assert summary.processed == 1
    assert one_check and seen == one_check


def test_a_blank_page_and_a_speck_give_no_text_and_no_error(tesseract, tmp_path):
    from PIL import Image, ImageDraw

    blank = Image.new("L", (1240, 1754), 255)
    speck = blank.copy()
    ImageDraw.Draw(speck).rectangle((600, 800, 640, 803), fill=0)  # a rule: a "line" with no text
    blank.save(tmp_path / "blank.pdf", "PDF", resolution=150, save_all=True, append_images=[speck])
    conv = tesseract.convert(tmp_path / "blank.pdf")
    assert conv.page_count == 2 and list(conv.document.pages) == [1, 2]
    assert all(not t.text.strip() or len(t.text) < 5 for t in conv.document.texts)
