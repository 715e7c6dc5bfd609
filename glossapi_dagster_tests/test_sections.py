"""section() and annotate(): GlossAPI's section columns over real extracted documents, nothing of
a document lost, GlossAPI's labels and full-annotation rules, a classifier trained here or
GlossAPI's own, the structural labeller on a generated thesis, and the export without a section."""
from __future__ import annotations

import json
import re
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from glossapi_dagster import Corpus, GlossSectionClassifier
from glossapi_dagster.export.verify import verify_export
from glossapi_dagster.sections import classifier as clf
from glossapi_dagster.sections.annotate import ModelLabeller, StructuralLabeller, _index_detection, annotate_file
from glossapi_dagster.sections.contents import looks_like_contents
from glossapi_dagster.sections.labels import annotate_chapter, annotate_text
from glossapi_dagster.sections.markdown import document_text, split_sections
from glossapi_dagster.sections.structural import classify
from glossapi_dagster.sections.writer import section_corpus
from glossapi_dagster.state import OutputLayout
from glossapi_dagster.state.artifacts import encode_json

from .conftest import copy_pdfs
from .thesis_pdf import SECTIONS, thesis_pdf

GLOSSAPI_SCHEMA = [("id", "int64"), ("row_id", "string"), ("filename", "string"), ("has_table", "bool"),
                   ("has_list", "bool"), ("has_other", "bool"), ("has_text", "bool"), ("header", "string"),
                   ("place", "string"), ("section", "string"), ("json_section", "string"),
                   ("section_length", "int64"), ("section_propo", "int64")]
# the bundled corpus: a gazette (two columns), a slide deck, and a formula sheet laid out in tables
BUNDLED = ["FEK_A_10_-_24.01.2018.pdf", "4.5.chain_rule.pdf", "typologio_mas026.pdf"]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory, corpus):
    """The generated thesis and three bundled documents, extracted once (safe backend, CPU)."""
    root = tmp_path_factory.mktemp("sections")
    IN = copy_pdfs(corpus / "pdfs", root / "in", BUNDLED)
    thesis_pdf(IN / "thesis.pdf")
    Corpus(IN, root / "out", progress=False).extract(phase1_backend="safe", accel_type="cpu", devices=[0])
    return IN, root / "out"


def _sections(out) -> pd.DataFrame:
    return pd.read_parquet(out / "sections" / "sections_for_annotation.parquet")


def test_section_writes_glossapi_columns_and_loses_nothing(extracted):
    IN, out = extracted
    figures = Corpus(IN, out, progress=False).section()
    assert figures["documents"] == 4
    table = pq.read_table(out / "sections" / "sections_for_annotation.parquet")
    assert [(f.name, str(f.type)) for f in table.schema][:13] == GLOSSAPI_SCHEMA  # GlossAPI's, in its order
    df = table.to_pandas()
    assert df["id"].tolist() == list(range(1, len(df) + 1))
    assert (df["row_id"] == "row_" + df["id"].astype(str)).all()
    for stem, doc in df.groupby("filename", sort=False):
        markdown = OutputLayout(out).markdown(stem).read_text(encoding="utf-8")
        assert document_text(doc.to_dict("records")) == markdown, stem  # every character, in order
        assert abs(doc["section_propo"].sum() - 1000) <= len(doc), stem
        starts = [float(p.split("-")[0]) for p in doc["place"]]
        assert starts == sorted(starts), stem
    formulas = df[df["filename"] == "typologio_mas026"]
    assert formulas["has_table"].any()  # the formula sheet's ruled tables
    thesis = df[df["filename"] == "thesis"]
    assert thesis["header"].tolist() == [s[0] for s in SECTIONS]
    method = thesis[thesis["header"] == "2 Μεθοδολογία"].iloc[0]
    assert method["has_list"] and method["has_text"]
    assert [list(b)[0] for b in json.loads(method["json_section"])].count("list") == 2


def test_a_heading_the_text_layer_lost_is_a_header_where_the_docling_json_says_so(tmp_path):
    layout = OutputLayout(tmp_path)
    markdown = ("## Εισαγωγή\n\nΚείμενο της εισαγωγής.\n\n**2. Μέθοδος**\n\nΚείμενο της μεθόδου.\n\n"
                "2.1 Μετρήσεις\n\nΟι μετρήσεις.\n")
    layout.markdown("doc").parent.mkdir(parents=True)
    layout.markdown("doc").write_text(markdown, encoding="utf-8")
    layout.docling_json("doc").parent.mkdir(parents=True)
    layout.docling_json("doc").write_bytes(encode_json({"texts": [
        {"label": "section_header", "text": "Εισαγωγή", "content_layer": "body"},
        {"label": "text", "text": "Κείμενο της εισαγωγής.", "content_layer": "body"},
        {"label": "section_header", "text": "2. Μέθοδος", "content_layer": "body"},
        {"label": "section_header", "text": "2.1 Μετρήσεις", "content_layer": "body"}]}))
    report = section_corpus(tmp_path, ["doc"])
    df = pd.read_parquet(report.path)
    assert df["header"].tolist() == ["Εισαγωγή", "2. Μέθοδος", "2.1 Μετρήσεις"]
    assert df["header_source"].tolist() == ["markdown", "docling", "docling"]
    assert document_text(df.to_dict("records")) == markdown
    plain = section_corpus(tmp_path, ["doc"], use_docling_headers=False)
    assert pd.read_parquet(plain.path)["header"].tolist() == ["Εισαγωγή"]


def test_blocks_follow_glossapi_and_their_causes():
    text = ("Πρώτη γραμμή πριν από κάθε επικεφαλίδα, αρκετά μεγάλη για κείμενο.\n"
            "## Α\n| a | b |\n|---|---|\n| 1 | 2 |\n- ένα στοιχείο\n  που συνεχίζει\n\n<!-- image -->\n"
            "-5 °C ήταν η θερμοκρασία εκείνη τη μέρα στην πόλη\n#3 στη λίστα δεν είναι επικεφαλίδα\n")
    first, second = split_sections(text)
    assert (first.header, first.header_source, first.header_line) == (
        "Πρώτη γραμμή πριν από κάθε επικεφαλίδα, αρκετά μεγάλη για κείμενο.", "first_line", "")
    assert [k for k, _ in second.blocks] == ["table", "list", "text", "other", "text"]
    assert second.blocks[1][1] == "- ένα στοιχείο\n  που συνεχίζει"
    # a negative number and "#3" are text, not a list and a heading (markdown's rules, not GlossAPI's)
    assert "#3 στη λίστα" in second.blocks[-1][1] and "-5 °C" in second.blocks[-1][1]
    assert document_text([first, second]) == text
    assert split_sections("   \n\n") == []


def test_full_annotation_places_every_other_by_the_boundaries():
    labels = ["άλλο", "π", "άλλο", "άλλο", "β", "άλλο", "β", "άλλο"]
    out, how, why = annotate_text(labels, ["model"] * len(labels))
    assert (out, why) == (["ε.σ.", "π", "κ", "κ", "β", "κ", "β", "α"], None)
    assert how[0] == "place:before_contents" and how[-1] == "place:after_bibliography" and how[1] == "model"
    for case in (["άλλο", "π", "άλλο"], ["β", "άλλο", "π", "άλλο"]):  # a boundary missing; π after the last β
        assert annotate_text(case, [""] * len(case))[0] == case
    assert annotate_chapter(["π", "άλλο", "β", "α"], [""] * 4)[0] == ["κ", "κ", "β", "α"]


def test_glossapi_index_detection_takes_a_contents_list_near_the_start_and_no_later():
    toc = "\n".join(f"{k} Κεφάλαιο {k} . . . . {3 * k}" for k in range(1, 9))
    doc = pd.DataFrame({"filename": ["d"] * 4, "section": ["Εξώφυλλο", toc, "κείμενο " * 50, toc],
                        "section_length": [1, 8, 200, 8], "section_propo": [5, 37, 921, 37]})
    labels, sources = ["άλλο", "άλλο", "άλλο", "π"], ["model"] * 4
    _index_detection(doc, labels, sources, 0)
    # the contents near the start is π whatever the model said; one that begins past 300/1000 of the
    # document is not the document's contents: the model's π is undone
    assert labels == ["άλλο", "π", "άλλο", "άλλο"]
    assert sources == ["model", "index_detection", "model", "model:π_past_the_start"]


def test_contents_and_citation_shapes_decide_without_a_heading():
    toc = "\n".join(f"{t} " + ". " * 10 + p for t, p in [("Πρόλογος", "iii"), ("Εισαγωγή", "1"), ("Ιστορία", "4"),
                                                          ("Θεωρία", "9"), ("Μέθοδος", "12"), ("Πείραμα", "15"),
                                                          ("Συμπεράσματα", "21"), ("Βιβλιογραφία", "25")])
    assert looks_like_contents(toc) == (True, "dot_leaders")
    assert classify("Σελίδα", toc, 0.05)[:2] == ("π", "table_of_contents")
    assert classify("Σελίδα", toc, 0.6)[0] == "άλλο"  # past the first third: a list of pages, not the contents
    data = "| έτος | τιμή |\n" + "\n".join(f"| 20{10 + i} | {v} |" for i, v in enumerate([5, 3, 8, 2, 9, 1, 7, 4]))
    assert not looks_like_contents(data)[0]
    refs = ("Παπαδόπουλος, Γ. (2015). Κατανεμημένα συστήματα. Αθήνα: Κλειδάριθμος.\n\n"
            "Newman, M. (2003). The structure of networks. SIAM Review, 45, pp. 167-256.\n\n"
            "Lamport, L. (1978). Time, clocks and the ordering of events. Communications of the ACM.")
    assert classify("Πηγές της μελέτης", refs, 0.9)[1:] == ("bibliography", "shape:citations")
    index = "\n".join(f"{w}, {p}" for w, p in [("αλγόριθμος", 3), ("βάση δεδομένων", 7), ("γράφος", "12, 15"),
                                                ("δέντρο", 9), ("ευρετήριο", 21), ("ζεύξη", 4)])
    assert classify("Όροι", index, 0.95)[1:] == ("index", "shape:index_entries")
    assert classify("2. Βιβλιογραφία", "κάτι", 0.5)[2] == "heading:βιβλιογραφια"


def test_structural_labeller_on_the_generated_thesis_then_the_export_without_the_bibliography(extracted, tmp_path):
    IN, out = extracted
    c = Corpus(IN, out, progress=False)
    c.section()
    figures = c.annotate(classifier="structural")
    assert figures["labeller"] == "structural"
    full = pd.read_parquet(out / "fully_annotated_sections.parquet")
    thesis = full[full["filename"] == "thesis"]
    assert thesis["predicted_section"].tolist() == [label for _, label, _, _ in SECTIONS]
    assert thesis["section_type"].tolist() == [kind for _, _, kind, _ in SECTIONS]
    sources = dict(zip(thesis["header"], thesis["label_source"]))
    assert sources["ΠΕΡΙΕΧΟΜΕΝΑ"] == "heading:περιεχομενα" and sources["1 Εισαγωγή"] == "place:body"
    classified = pd.read_parquet(out / "classified_sections.parquet")
    assert "άλλο" in set(classified.loc[classified["filename"] == "thesis", "predicted_section"])

    dest = tmp_path / "dataset"
    shards = c.parquet_sharded(dest, exclude_sections=["bibliography"])
    texts = pd.concat(pd.read_parquet(f) for f in shards).set_index("stem")["text"]
    markdown = OutputLayout(out).markdown("thesis").read_text(encoding="utf-8")
    bibliography = thesis[thesis["predicted_section"] == "β"].iloc[0]
    removed = bibliography["header_line"] + bibliography["section"]
    assert texts["thesis"] == markdown.replace(removed, "") and "Κλειδάριθμος" not in texts["thesis"]
    card = (dest / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"β \(bibliography\): 1 sections, {len(removed)} characters", card), card
    assert not any(verify_export(out, dest, fmt="parquet")[k] for k in ("not_exported", "twice", "unexpected", "card"))

    by_section = tmp_path / "by_section"
    files = c.jsonl_sharded(by_section, by_section=True)
    assert files and not any(verify_export(out, by_section)[k] for k in ("not_exported", "twice", "card"))
    import io

    import zstandard
    with open(files[0], "rb") as raw:
        records = [json.loads(line) for line in io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(raw),
                                                                 encoding="utf-8")]
    mine = [r for r in records if r["stem"] == "thesis"]
    assert [r["header"] for r in mine] == [s[0] for s in SECTIONS]
    assert [r["chunk_id"] for r in mine] == list(range(len(SECTIONS)))
    assert {"section", "header", "predicted_section", "doc_id"} <= set(mine[0])


TITLES = ["Εισαγωγή", "Στόχοι", "Θεωρητικό πλαίσιο", "Μεθοδολογία", "Πειραματική διάταξη", "Μετρήσεις",
          "Αποτελέσματα", "Συζήτηση", "Συμπεράσματα", "Βιβλιογραφία", "Παράρτημα", "Ευχαριστίες", "Περίληψη"]
PROSE = ["Η μελέτη εξετάζει πώς συμπεριφέρεται το σύστημα όταν αυξάνεται ο φόρτος των αιτημάτων.",
         "Οι μετρήσεις δείχνουν ότι η καθυστέρηση μεγαλώνει γραμμικά με τον αριθμό των κόμβων.",
         "Στο κεφάλαιο αυτό περιγράφουμε τη διάταξη και τα εργαλεία που χρησιμοποιήθηκαν στα πειράματα.",
         "Τα αποτελέσματα συμφωνούν με τη θεωρία και επιβεβαιώνουν την αρχική μας υπόθεση."]


def _training_csv(path):
    """GlossAPI's training format: contents lists (chapter titles, dot leaders, pages), citations
    (authors, publishers, years), and prose under the same chapter titles, as theses have them;
    headings in title case and in capitals."""
    rows = []
    for i in range(15):
        titles = [TITLES[(i + k) % len(TITLES)] for k in range(8)]
        rows.append({"header": ("Περιεχόμενα", "ΠΕΡΙΕΧΟΜΕΝΑ")[i % 2],
                     "section": "\n".join(f"{k} {t} " + ". " * 12 + str(2 * k + i) for k, t in enumerate(titles, 1)),
                     "has_table": False, "has_list": False, "label": "π"})
        rows.append({"header": ("Βιβλιογραφία", "ΒΙΒΛΙΟΓΡΑΦΙΑ")[i % 2],
                     "section": f"[1] Γ. Παπαδόπουλος, «Δίκτυα», Εκδόσεις Πατάκη, Αθήνα, {1990 + i}.\n"
                                f"[2] M. Newman, «Networks», SIAM Review, vol. {i + 3}, pp. {i}-{i + 9}, {2000 + i}.",
                     "has_table": False, "has_list": False, "label": "β"})
        rows.append({"header": titles[0], "section": " ".join(PROSE[(i + k) % len(PROSE)] for k in range(3)),
                     "has_table": False, "has_list": i % 3 == 0, "label": "άλλο"})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_classifier_trained_from_glossapi_csv_labels_and_is_refused_in_another_scikit_learn(extracted, tmp_path):
    IN, out = extracted
    model_file = tmp_path / "models" / "mine.joblib"
    GlossSectionClassifier().train_from_csv(_training_csv(tmp_path / "train.csv"), model_file)
    c = Corpus(IN, out, section_classifier_model_path=model_file, progress=False)
    c.section()
    figures = c.annotate(annotation_type="text")
    assert figures["labeller"] == f"model:{model_file}"
    full = pd.read_parquet(out / "fully_annotated_sections.parquet")
    thesis = full[full["filename"] == "thesis"].set_index("header")
    assert thesis.loc["ΠΕΡΙΕΧΟΜΕΝΑ", "predicted_section"] == "π"
    assert thesis.loc["ΒΙΒΛΙΟΓΡΑΦΙΑ", "predicted_section"] == "β"
    assert thesis.loc["3 Αποτελέσματα", "predicted_section"] == "κ"  # placed by full annotation
    # the same pickle as saved by another scikit-learn: one message naming both versions
    import sklearn

    data = model_file.read_bytes()
    other = "0.0.1"[: len(sklearn.__version__)].ljust(len(sklearn.__version__), "9")
    model_file.write_bytes(data.replace(sklearn.__version__.encode(), other.encode()))
    with pytest.raises(clf.ModelError, match=rf"saved by scikit-learn {re.escape(other)}; this environment has "
                                             rf"{re.escape(sklearn.__version__)}.*pip install scikit-learn=="):
        clf.load_model(model_file)


def test_glossapi_published_model_labels_sections_when_glossapi_is_installed(extracted, tmp_path):
    path = clf.installed_glossapi_model()
    if path is None:
        pytest.skip("glossapi not installed")
    imported_before = "glossapi" in sys.modules
    model = clf.load_model(path)
    assert list(model.classes_) == ["άλλο", "β", "π"]
    assert imported_before or "glossapi" not in sys.modules  # its file is read, Docling and dask not imported
    IN, out = extracted
    Corpus(IN, out, progress=False).section()
    report = annotate_file(out / "sections" / "sections_for_annotation.parquet", tmp_path / "c.parquet",
                           tmp_path / "f.parquet", ModelLabeller(model, "glossapi"))
    labels = pd.read_parquet(tmp_path / "c.parquet").query("filename == 'thesis'").set_index("header")
    assert labels.loc["ΠΕΡΙΕΧΟΜΕΝΑ", "predicted_section"] == "π"
    assert report.sections == len(_sections(out))
    assert StructuralLabeller().name == "structural"
