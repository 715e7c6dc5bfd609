"""Greek text rules that hold on documents nobody here has seen (issue 26). Every case is built from
its cause by glossapi_dagster_tests/greek_pdfs.py, and judged against the text it was made from:
OCR text through the text layer's Greek repairs, glued function words split with a real lexicon
(never a real word), Latin-lettered Greek words, polytonic marks folded only in a monotonic
document, furniture and lookalikes on every page whatever its language (both backends), small-caps
headings read as capitals, a compound hyphen at a line end kept, unreadable OCR flagged and kept
out of the dataset by clean()."""
from __future__ import annotations

import html
import json
import re
import unicodedata

import pytest

from glossapi_dagster.backends.extract.docling_extractor import DoclingExtractor
from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor
from glossapi_dagster.backends.greek.capitals import fix_capitals
from glossapi_dagster.backends.greek.latin_words import fix_latin_words
from glossapi_dagster.backends.greek.lexicon import greek_lexicon
from glossapi_dagster.backends.greek.lookalikes import fix_lookalikes
from glossapi_dagster.backends.greek.polytonic import fold_polytonic
from glossapi_dagster.backends.greek.word_split import FUNCTION_WORDS, split_glued
from glossapi_dagster.backends.ocr.tesseract import TesseractEngine
from glossapi_dagster.backends.ocr.text_repairs import repair_ocr_pages

from .greek_pdfs import (ENGLISH_PARAGRAPHS, GREEK_IN_LATIN_WORDS, GREEK_PARAGRAPHS, HYPHEN_TRUTH,
                         MIXED_PARAGRAPHS, RUNNING_HEADER_GREEK, SMALL_CAPS_HEADINGS, bilingual_pdf, checkbox_pdf,
                         greek_in_latin_words_pdf, handwriting_pdf, scan_pdf, small_caps_pdf)
from .ocr_fixtures import POLYTONIC_TEXT
from .ocr_quality import recall

GREEK_TRUTH = "\n".join(GREEK_PARAGRAPHS)
_GREEK_WORD = re.compile("[\u0370-\u03ff\u1f00-\u1fff]+")
_LATIN_IN_GREEK = re.compile("[A-Za-z\u2206\u00b5](?=[\u0370-\u03ff])|(?<=[\u0370-\u03ff])[A-Za-z\u2206\u00b5]")


@pytest.fixture(scope="module")
def lexicon():
    found = greek_lexicon()
    assert found is not None, "hunspell-el is not installed (scripts/system-deps.sh installs it)"
    return found


def _glued(truth: str) -> str:
    """The truth with every function word run into the word after it, as OCR of a tight column does."""
    words = truth.split()
    out = []
    for word in words:
        if out and out[-1].lower() in FUNCTION_WORDS and word[:1].isalpha():
            out[-1] += word
        else:
            out.append(word)
    return " ".join(out)


# -- the rules on text whose truth is known ---------------------------------------------------

def test_glued_function_words_are_split_back(lexicon):
    glued = _glued(GREEK_TRUTH)
    assert glued.count(" ") < 0.8 * GREEK_TRUTH.count(" ")  # the case is there: many spaces lost
    assert recall(GREEK_TRUTH, split_glued(glued, lexicon)) >= 0.95
    for pair in ("με την", "και του", "τις διατάξεις"):
        assert pair in split_glued(glued, lexicon)


def test_a_real_word_is_never_split(lexicon):
    """Born-digital Greek (the generated paragraphs and the words of a gazette's reference text)
    keeps every word: not one is split, words the lexicon lacks included (a participle, a name)."""
    for text in (GREEK_TRUTH, "εισφέρουσας ερευνηθείσας ξέσματα Μεταδευτεροβάθμιας Καιάδας Τοσίτσας οδος"):
        assert split_glued(text, lexicon) == text


def test_real_words_of_a_gazette_are_never_split(lexicon, corpus):
    reference = (corpus / "groundtruth" / "FEK_A_10_-_24.01.2018.txt").read_text(encoding="utf-8")
    reference = re.sub(r"(\w)[-\u00ad]\s+(\w)", r"\1\2", reference)  # its hyphenations joined: words, not halves
    words = [w for w in _GREEK_WORD.findall(unicodedata.normalize("NFC", reference)) if len(w) >= 3]
    split = [w for w in words if split_glued(w, lexicon) != w]
    assert len(words) > 500 and split == [], split


def test_latin_lettered_greek_words_become_greek(lexicon):
    """OCR's English model writes short Greek words in Latin lookalikes (tou, Kal, Tic, v.)."""
    ocr = ("Έχοντας υπόψη τις διατάξεις tou άρθρου 28 tov v. 2738/1999, όπως αντικαταστάθηκε με την παράγραφο "
           "του άρθρου 26, Kal της παρ. 2 του ίδιου άρθρου. Tic διατάξεις του Κώδικα για την Κυβέρνηση kat ta "
           "Κυβερνητικά Όργανα.")
    assert fix_latin_words(ocr, lexicon) == ocr.replace("tou", "του").replace("tov v.", "τον ν.").replace(
        "Kal", "Και").replace("Tic", "Τις").replace("kat ta", "και τα")
    heading = "ΠΡΟΕΔΡΙΚΟ AIATATMA ΥΠ’ ΑΡΙΘΜ. 12"  # a line on a Greek page: Δ read as A, Γ as T
    assert fix_latin_words(heading, lexicon, greek_page=True) == "ΠΡΟΕΔΡΙΚΟ ΔΙΑΤΑΓΜΑ ΥΠ’ ΑΡΙΘΜ. 12"
    # Latin words that spell no Greek word, addresses, and Latin text stay
    kept = "στη διεύθυνση www.et.gr και webmaster@et.gr με fax στο helpdesk της υπηρεσίας"
    assert fix_latin_words(kept, lexicon) == kept
    for english in ENGLISH_PARAGRAPHS + MIXED_PARAGRAPHS:
        assert fix_latin_words(english, lexicon, greek_page=True) == english


def test_polytonic_marks_folded_in_monotonic_text_and_kept_in_polytonic(lexicon):
    misread = "Ὑποστήριξης της εἰδικότητας και της προὐπηρεσίας του κρατικού προῦπολογισμού"
    assert fold_polytonic(misread, lexicon) == "Υποστήριξης της ειδικότητας και της προϋπηρεσίας του κρατικού προϋπολογισμού"
    # a monotonic document read by OCR: folded; a polytonic one keeps every mark
    pages = {1: [misread, *GREEK_PARAGRAPHS[1:]]}
    fixed, repairs = repair_ocr_pages(pages)
    assert not re.search("[\u1f00-\u1fff]", " ".join(fixed[1])) and repairs["polytonic"] == [1]
    kept, repairs = repair_ocr_pages({1: list(POLYTONIC_TEXT)})
    assert kept[1] == [unicodedata.normalize("NFC", line) for line in POLYTONIC_TEXT] and "polytonic" not in repairs
    kept, _ = repair_ocr_pages({1: [misread]}, polytonic=True)  # the text layer says polytonic
    assert kept[1] == [misread]


def test_a_page_reads_the_same_ocrd_in_a_range_or_with_the_whole_document(lexicon):
    """A long document is OCR'd as page ranges, each range seeing only its pages: whether a page's
    marks are folded is the page's own evidence, so a range of one short page whose few Greek
    letters carry misread marks folds them as the whole (monotonic) document does."""
    short = "Ὑποστήριξη τῆς ἀρχῆς"  # a caption: too few Greek letters to tell polytonic from misread
    pages = {1: [short], 2: [*GREEK_PARAGRAPHS]}
    whole, _ = repair_ocr_pages(pages)
    alone, _ = repair_ocr_pages({1: [short]})
    assert alone[1] == whole[1] == [fold_polytonic(short, lexicon)]
    assert repair_ocr_pages({2: [*GREEK_PARAGRAPHS]})[0][2] == whole[2]


def test_capitals_of_small_caps_fonts_read_as_capitals():
    for glyphs, reader_sees in SMALL_CAPS_HEADINGS:
        assert fix_capitals(glyphs) == reader_sees
    for word in ("Άρθρο", "ΠΡΩΤΕΪΝΗ", "Έρευνας", "ΦΕΚ", "Ή", "ΚΕΦΑΛΑΙΟ"):
        assert fix_capitals(word) == word
    assert fix_capitals("Ύπουργών") == "Υπουργών"  # one accent to a word: the capital's is OCR's


def test_lookalikes_on_a_page_in_any_language():
    header = "ΕΦΗΜΕΡΙ\u2206Α TΗΣ ΚΥΒΕΡΝΗΣΕΩΣ"
    assert fix_lookalikes(header, greek=False) == RUNNING_HEADER_GREEK
    for math in ("Bε(y)", "Aε", "πX", "µm", "\u2206t", "Cu2+"):  # a lone Greek letter in Latin text is math
        assert fix_lookalikes(math, greek=False) == math


def test_latin_capitals_before_a_keraia_are_a_greek_numeral():
    """A Greek numeral is capitals and a keraia (U+0374, or the tonos U+0384 set for it); a
    gazette's `ΤΜΗΜΑ A΄` sets its A in a Latin font. On any page, capitals before a keraia are Greek;
    Latin capitals elsewhere, and small letters before it, stay."""
    for latin, greek in (("ΤΜΗΜΑ A\u0384 ΔΙΑΤΑΞΕΙΣ", "ΤΜΗΜΑ Α\u0384 ΔΙΑΤΑΞΕΙΣ"), ("(A\u0384 298)", "(Α\u0384 298)"),
                         ("Part IB\u0374 of the law", "Part ΙΒ\u0374 of the law")):
        assert fix_lookalikes(latin, greek=False) == greek
    for kept in ("ABC Part IB of the law", "the o\u0384 mark", "Chapter Ab\u0384"):
        assert fix_lookalikes(kept, greek=False) == kept


# -- text layers, both backends ----------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("greek_pdfs")
    return {"bilingual": bilingual_pdf(folder / "bilingual.pdf"), "small_caps": small_caps_pdf(folder / "small_caps.pdf")}


@pytest.fixture(scope="module")
def backends():
    return {"safe": SafePdfExtractor(), "docling": DoclingExtractor("native")}


def _body_and_furniture(conv) -> tuple[list[tuple[int, str]], list[str]]:
    data = conv.to_dict()
    body, furniture = [], []
    for item in data["texts"]:
        page = item["prov"][0]["page_no"] if item.get("prov") else 0
        (body if item.get("content_layer", "body") == "body" else furniture).append((page, item["text"]))
    return body, [text for _, text in furniture]


@pytest.mark.parametrize("backend", ["safe", "docling"])
def test_bilingual_gazette_header_is_furniture_on_its_english_pages(generated, backends, backend):
    conv = backends[backend].convert(generated["bilingual"])
    body, furniture = _body_and_furniture(conv)
    markdown = conv.markdown if conv.markdown is not None else conv.document.export_to_markdown()
    assert "ΚΥΒΕΡΝΗΣΕΩΣ" not in markdown, markdown[:1500]  # on no page, English pages included
    assert furniture.count(RUNNING_HEADER_GREEK) == 7  # in the furniture layer, Greek letters
    assert not _LATIN_IN_GREEK.search(markdown) and "\u2206" not in " ".join(furniture)
    english = " ".join(text for page, text in body if page > 4)
    assert "Memorandum" in english and recall("\n".join(ENGLISH_PARAGRAPHS[1:]), english) >= 0.99
    assert set(conv.repairs["furniture"]) == set(range(1, 8)) and 7 in conv.repairs["lookalikes"]


@pytest.mark.parametrize("backend", ["safe", "docling"])
def test_latin_words_typed_with_a_greek_letter_read_as_latin(tmp_path, backends, backend):
    """A writer who switches the keyboard from Greek a key late types an English word's capital in
    Greek (`Τhe` with Τ U+03A4); an omicron slips in the same way (`cοmputer`). On a Greek page and
    an English one, such words come out Latin and the repair is recorded; Greek words whose letters
    all have Latin twins (`Το`, `ΤΗΣ`), a Greek numeral written with a Latin v (`ιv)`) and math
    (`Bε(y)`) are kept."""
    conv = backends[backend].convert(greek_in_latin_words_pdf(tmp_path / "typed.pdf"))
    markdown = conv.markdown if conv.markdown is not None else conv.document.export_to_markdown()
    for typed, reader_sees in GREEK_IN_LATIN_WORDS:
        assert typed not in markdown and markdown.count(reader_sees) >= 2, (reader_sees, markdown)
    assert "Το θεώρημα" in markdown and "έγινε στα 50 Hz" in markdown  # the Greek around them stays Greek
    assert conv.repairs["lookalikes"] == [1, 2]
    for kept in ("Το ΤΗΣ ΚΑΙ", "ιv) και ιιι)", "Bε(y) και f(x)", "ΤΗΕ"):
        assert fix_lookalikes(kept, greek=True) == fix_lookalikes(kept, greek=False) == kept


@pytest.mark.parametrize("backend", ["safe", "docling"])
def test_small_caps_headings_and_compound_hyphen(generated, backends, backend):
    conv = backends[backend].convert(generated["small_caps"])
    markdown = conv.markdown if conv.markdown is not None else conv.document.export_to_markdown()
    for _, reader_sees in SMALL_CAPS_HEADINGS:
        assert reader_sees in markdown, markdown[:800]
    assert not re.search("[\u0386\u0388-\u038f]{2}|[\u0391-\u03a9][\u03b1-\u03c9][\u0391-\u03a9]", markdown)
    assert conv.repairs["capitals"] == [1, 2, 3, 4]
    compound, hyphenated = HYPHEN_TRUTH
    assert "ΈρευναςΠληροφορικής" not in markdown.replace("\n", "")
    if backend == "safe":  # lines into paragraphs: the hyphenation joined, the compound's hyphen kept
        assert compound in markdown and hyphenated in markdown
    else:  # Docling native keeps each line an item: the hyphen stays where the line ends
        assert "Έρευνας-" in markdown


def test_symbol_font_checkboxes_are_not_quotes(tmp_path):
    """A checkbox glyph of a dingbat font without ToUnicode comes out of pdfium as a C1 control,
    which ftfy used to read as `„`: it is dropped; a real „ of a text font stays."""
    markdown = SafePdfExtractor().convert(checkbox_pdf(tmp_path / "form.pdf")).markdown
    assert "Ja „so“ oder nein" in markdown and markdown.count("„") == 1, markdown
    assert "Yes, I agree" in markdown and "No, I do not" in markdown
    assert not re.search("[\u0080-\u009f]", markdown)


# -- OCR ---------------------------------------------------------------------------------------

def test_ocr_of_known_greek_comes_out_as_the_text_layer_would(tmp_path, dagster_home):
    """An image-only PDF of known monotonic Greek, set tight, OCR'd with Tesseract (default
    languages) through the pipeline: no Latin word, no polytonic character, no glued function
    word, the repairs recorded; a page of pen strokes beside it is flagged unreadable and clean()
    keeps that document out of the dataset with its reason."""
    from glossapi_dagster.corpus import Corpus
    from glossapi_dagster.state import OutputLayout, ProgressStore

    input_dir = tmp_path / "in"
    input_dir.mkdir()
    pages = [GREEK_PARAGRAPHS, GREEK_PARAGRAPHS[:0:-1]]
    scan = scan_pdf(input_dir / "greek_scan.pdf", pages, word_space=0.7)
    handwriting_pdf(input_dir / "notes.pdf")
    # the case is there: Tesseract's own text has Latin words, polytonic marks and glued words
    import pypdfium2 as pdfium

    bitmap = pdfium.PdfDocument(str(scan))[0].render(scale=200 / 72)
    raw = " ".join(line.text for line in TesseractEngine("ell+eng").read(bitmap, 200))
    assert re.search(r"\b[A-Za-z]{2,}\b", raw) and re.search("[\u1f00-\u1fff]", raw), raw
    out = tmp_path / "out"
    c = Corpus(input_dir, out, progress=False)
    c.extract(force_ocr=True, ocr_engine="tesseract", accel_type="cpu")
    layout = OutputLayout(out)
    markdown = html.unescape(layout.markdown("greek_scan").read_text(encoding="utf-8"))  # &amp; is no word
    truth = "\n".join(p for page in pages for p in page)
    assert recall(truth, markdown) >= 0.93, markdown
    assert not re.search(r"\b[A-Za-z]{2,}\b", markdown), re.findall(r"\b[A-Za-z]+\b", markdown)
    assert not re.search("[\u1f00-\u1fff]", markdown)
    runs = {a + b for a, b in zip(truth.lower().split(), truth.lower().split()[1:]) if a in FUNCTION_WORDS}
    assert not [w for w in markdown.lower().split() if w.strip(".,:«»") in runs]
    for phrase in ("με την", "και του", "ΔΙΑΤΑΓΜΑ", "μητρώου", "προϋπολογισμού"):
        assert phrase in markdown, phrase
    rows = {r["stem"]: r for r in ProgressStore(layout.store_dir).read().to_dict("records")}
    assert {"polytonic", "glued_words"} <= set(rows["greek_scan"]["text_repair"].split(";"))
    sidecar = json.loads(layout.sidecar("extract", "greek_scan").read_text())
    assert sidecar["text_repairs"]["glued_words"] and not any(q["unreadable"] for q in sidecar["ocr_page_quality"].values())
    assert rows["greek_scan"]["ocr_unreadable_pages"] is None and rows["notes"]["ocr_unreadable_pages"] == "1"
    notes = json.loads(layout.sidecar("extract", "notes").read_text())["ocr_page_quality"]["1"]
    assert notes["unreadable"] and notes["confidence"] < 0.7 and notes["valid"] < 0.5
    c.clean()
    rows = {r["stem"]: r for r in ProgressStore(layout.store_dir).read().to_dict("records")}
    assert rows["notes"]["clean_keep"] is False and "ocr_unreadable" in rows["notes"]["filter"].split(";")
    assert rows["greek_scan"]["clean_keep"] is True and c.good_files == ["greek_scan"]
