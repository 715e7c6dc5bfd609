"""OCR decided per page: a hybrid PDF made here (two born-digital Greek gazette pages, then a page
of the Greek thesis rendered to an image only) keeps its text layer where it is good and gets OCR
text only on the image page, after extract + ocr(mode='ocr_bad') and with extract(do_ocr=True)."""
from __future__ import annotations

import json

import pytest

from glossapi_dagster.backends.extract.safe_pdf import SafePdfExtractor
from glossapi_dagster.runs import materialize_extraction, materialize_manifest, materialize_ocr
from glossapi_dagster.state.artifacts import load_docling_json
from glossapi_dagster.backends.ocr.pages import merge_ocr_pages, page_sources, page_texts, pages_needing_ocr
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import available, resources, temp_instance
from .ocr_fixtures import hybrid_pdf
from .ocr_quality import recall

FEK = "FEK_A_10_-_24.01.2018.pdf"
# a page of running Greek text: the thesis where GLOSSAPI_TEST_CORPUS has it (not redistributable), else
# a page of the long gazette
THESIS, THESIS_PAGE = ("SampleThesis-GR.pdf", 14) if available("SampleThesis-GR.pdf") else ("FEK_A_5_-_17.01.2018.pdf", 12)
STEM = "hybrid"


@pytest.fixture(scope="module")
def hybrid(tmp_path_factory, corpus):
    folder = tmp_path_factory.mktemp("hybrid")
    (folder / "in").mkdir()
    pdf = hybrid_pdf(corpus / "pdfs" / FEK, [1, 2], corpus / "pdfs" / THESIS, [THESIS_PAGE], folder / "in" / f"{STEM}.pdf")
    scanned_text = page_texts(SafePdfExtractor().convert(str(corpus / "pdfs" / THESIS)).to_dict())[THESIS_PAGE]
    return {"folder": folder, "pdf": pdf, "scanned_text": scanned_text}


def _run(hybrid, name: str, **extract):
    out = hybrid["folder"] / name
    res = resources(hybrid["pdf"].parent, out, devices=[0])
    home = hybrid["folder"] / f"home-{name}"
    home.mkdir()
    with temp_instance(home) as instance:
        assert materialize_manifest(instance, res).success
        assert materialize_extraction(instance, res, phase1_backend="safe", **extract).success
        layout = OutputLayout(out)
        before = load_docling_json(layout.docling_json(STEM))
        if not extract.get("do_ocr"):
            assert materialize_ocr(instance, res, ocr_engine="tesseract").success
    row = ProgressStore(layout.store_dir).read().to_dict("records")[0]
    return layout, before, load_docling_json(layout.docling_json(STEM)), row


def _check(layout, text_layer: dict, after: dict, row: dict, scanned_text: str) -> None:
    assert row["ocr_success"] is True and row["needs_ocr"] is False
    assert row["ocr_pages"] == 1 and row["ocr_engine"] == "tesseract"
    assert page_sources(after) == {1: "text_layer", 2: "text_layer", 3: "ocr:tesseract"}
    got, extracted = page_texts(after), page_texts(text_layer)
    assert got[1] == extracted[1] and got[2] == extracted[2]  # the born-digital pages exactly as extracted
    assert len(extracted[3]) < 50 <= len(got[3])
    assert recall(scanned_text, got[3]) >= 0.85, got[3]
    markdown = layout.markdown(STEM).read_text(encoding="utf-8")
    # page order kept: the gazette's last words before the thesis page's first
    assert markdown.index("Αμοργού") < markdown.index("Ειδικότερα") and "Ειδικότερα" in got[3]
    pages = json.loads(layout.per_page_metrics(STEM).read_text())
    assert [p["source"] for p in pages] == ["text_layer", "text_layer", "ocr:tesseract"]
    assert "ocr_sec" not in pages[0] and pages[2]["ocr_sec"] > 0  # only the image page was OCR'd


def test_extract_then_ocr_bad_ocrs_only_the_image_page(hybrid):
    layout, before, after, row = _run(hybrid, "ocr_bad")
    assert page_sources(before) == {1: "text_layer", 2: "text_layer", 3: "text_layer"}
    _check(layout, before, after, row, hybrid["scanned_text"])
    sidecar = json.loads(layout.sidecar("extract", STEM).read_text())
    assert sidecar["ocr_page_reasons"] == {"3": "scanned;empty"} and sidecar["scanned_page_numbers"] == [3]


def test_extract_with_do_ocr_ocrs_only_the_image_page(hybrid):
    layout, _, after, row = _run(hybrid, "do_ocr", do_ocr=True, ocr_engine="tesseract")
    text_layer = SafePdfExtractor().convert(str(hybrid["pdf"])).to_dict()
    _check(layout, text_layer, after, row, hybrid["scanned_text"])
    assert row["extraction_backend"] == "safe"


def test_page_signals_from_other_checks_plug_in():
    """lgr_page_numbers (undecodable LGR fonts) and garbled pages count like scanned ones; a
    flagged document with no page singled out is OCR'd whole."""
    words = " ".join(["καλημέρα", "κόσμε", "σήμερα", "είναι", "ωραία"] * 12)
    garbled = " ".join(["okEaaooE", "tK244Xn", "xYzWq", "aBcDe"] * 8)
    doc = {"pages": {str(p): {"size": {"width": 595, "height": 842}, "page_no": p} for p in (1, 2, 3, 4)},
           "texts": [{"text": t, "prov": [{"page_no": p}]} for p, t in ((1, words), (2, words), (3, garbled))]}
    assert pages_needing_ocr(doc, {"lgr_page_numbers": [2]}) == {2: "lgr", 3: "garbled", 4: "empty"}
    clean = {**doc, "texts": [{"text": words, "prov": [{"page_no": p}]} for p in (1, 2, 3, 4)]}
    assert pages_needing_ocr(clean, {"needs_ocr": False}) == {}
    assert pages_needing_ocr(clean, {"needs_ocr": True}) == {p: "document" for p in (1, 2, 3, 4)}


def test_merge_puts_ocr_pages_in_page_order(tmp_path, corpus):
    """Items of the OCR'd page replaced, before the later pages' items and after the earlier ones'."""
    from docling_core.types.doc import BoundingBox, DocItemLabel, DoclingDocument, ProvenanceItem, Size

    def doc_of(pages: dict[int, list[str]]) -> DoclingDocument:
        doc = DoclingDocument(name="x")
        for page_no, texts in pages.items():
            doc.add_page(page_no=page_no, size=Size(width=100, height=100))
            for text in texts:
                doc.add_text(label=DocItemLabel.TEXT, text=text,
                             prov=ProvenanceItem(page_no=page_no, bbox=BoundingBox(l=0, t=90, r=50, b=80),
                                                 charspan=(0, len(text))))
        return doc

    text_layer = doc_of({1: ["one a", "one b"], 2: ["header only"], 3: ["three"]}).export_to_dict()
    merged, data = merge_ocr_pages(text_layer, doc_of({2: ["two a", "two b"]}), "ocr:tesseract")
    assert merged.export_to_markdown().split("\n\n") == ["one a", "one b", "two a", "two b", "three"]
    assert page_sources(data) == {1: "text_layer", 2: "ocr:tesseract", 3: "text_layer"}
    first, _ = merge_ocr_pages(text_layer, doc_of({1: ["new one"]}), "ocr:rapidocr")
    assert first.export_to_markdown().split("\n\n") == ["new one", "header only", "three"]
    DoclingDocument.model_validate(data)  # the per-page source does not stop the JSON loading


def test_the_hybrid_gazette_fek_a_79_needs_ocr_on_its_scans_only(corpus):
    """Page 1 and pages 38-53, 56 born-digital Greek; 2-37 scans under a running header (p.20's
    header is 51 characters: measured by its covering picture); 54-55 nothing at all."""
    from glossapi_dagster.backends.quality.triage import triage

    pdf = corpus / "pdfs" / "FEK_A_79_-_30.04.2018.pdf"
    conv = SafePdfExtractor().convert(str(pdf))
    data = conv.to_dict()
    signals = triage(conv.markdown, data, True, pdf_path=str(pdf), page_covers=conv.page_covers)
    pages = pages_needing_ocr(data, signals, pdf_path=str(pdf))
    assert sorted(pages) == [*range(2, 38), 54, 55]
    assert pages[20] == "scanned" and pages[54] == pages[55] == "empty"
