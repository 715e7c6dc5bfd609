"""One Tesseract model a page (issue 29, backends/ocr/page_langs.py): a page is read with eng or
ell alone, chosen from a few of its lines read with eng first, and what the one model got wrong is
read again. Pages generated from known text (greek_pdfs.scan_pdf, image-only, as scans are): the
words of both scripts must survive the choice. About 10 s of OCR in all."""
from __future__ import annotations

import logging

import pytest

from glossapi_dagster.backends.greek.lexicon import greek_lexicon
from glossapi_dagster.backends.ocr.engines import build_engine
from glossapi_dagster.backends.ocr.text_repairs import repair_figures

from .greek_pdfs import (ENGLISH_PARAGRAPHS, GREEK_PARAGRAPHS, GREEK_WITH_LATIN, MIXED_PARAGRAPHS,
                         RUNNING_HEADER_GREEK, scan_pdf)
from .ocr_quality import recall

log = logging.getLogger("test-one-model")


@pytest.fixture(scope="module")
def tesseract():
    return build_engine("tesseract", 1, "cpu", log, {}, "ell+eng")


def _read(tesseract, tmp_path, paragraphs: list[str]) -> tuple[str, str]:
    conv = tesseract.convert(scan_pdf(tmp_path / "page.pdf", [paragraphs], word_space=0.7))
    return conv.document.export_to_markdown(), conv.page_quality[1]["langs"]


def test_an_english_page_is_read_with_eng_alone(tesseract, tmp_path):
    text, langs = _read(tesseract, tmp_path, ENGLISH_PARAGRAPHS * 2)
    assert langs == "eng"  # not read first as Greek, then again with ell+eng
    assert recall("\n".join(ENGLISH_PARAGRAPHS * 2), text) >= 0.95, text


def test_a_greek_page_is_read_with_ell_alone_and_keeps_its_addresses_and_figures(tesseract, tmp_path):
    paragraphs = GREEK_PARAGRAPHS + GREEK_WITH_LATIN
    text, langs = _read(tesseract, tmp_path, paragraphs)
    assert langs == "ell"  # one model, not ell+grc
    assert recall("\n".join(paragraphs), text) >= 0.93, text
    for word in ("www.et.gr", "webmaster@et.gr", "άρθρο 1 του", "3852/2010", "παράγραφο 12 του", "άρθρου 90 του",
                 "ΔΙΑΤΑΓΜΑ", "με την επωνυμία", "και του"):
        assert word in text, (word, text)


def test_an_english_page_under_a_greek_running_header_keeps_the_header_greek(tesseract, tmp_path):
    paragraphs = [RUNNING_HEADER_GREEK, *ENGLISH_PARAGRAPHS * 2]
    text, langs = _read(tesseract, tmp_path, paragraphs)
    assert langs == "eng"
    assert RUNNING_HEADER_GREEK in text, text  # eng writes it KYBEPNHEEOE: its line is read again in Greek
    assert recall("\n".join(paragraphs), text) >= 0.95, text


def test_a_greek_page_with_english_names_keeps_both_scripts(tesseract, tmp_path):
    paragraphs = MIXED_PARAGRAPHS * 2
    text, _ = _read(tesseract, tmp_path, paragraphs)
    assert recall("\n".join(paragraphs), text) >= 0.93, text
    for word in ("University of Cambridge", "Massachusetts Institute of Technology", "NumPy",
                 "συνεργασία", "αποτελέσματα", "καθηγητής"):
        assert word in text, (word, text)


def test_figures_written_as_letters_are_put_back():
    lexicon = greek_lexicon()
    assert repair_figures("των παρ. Ί, 2του άρθρου 28του ν.2738/", lexicon) == "των παρ. 1, 2 του άρθρου 28 του ν.2738/"
    assert repair_figures("από Ί έως 16 σελίδες", lexicon) == "από 1 έως 16 σελίδες"
    # an ordinal's ending stays on its figure; Ί starting a word is a letter
    assert repair_figures("του 1ου άρθρου και της 2ης", lexicon) == "του 1ου άρθρου και της 2ης"
    assert repair_figures("Ίδιος ίσως Ίος", lexicon) == "Ίδιος ίσως Ίος"
