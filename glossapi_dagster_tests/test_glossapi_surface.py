"""The rest of GlossAPI's Corpus: a script passing every constructor argument and calling
process_all() runs; extract(filenames=, file_paths=), filter(), triage_math(),
formula_enrich_from_json(); GlossAPI's arguments without meaning here warn instead of raising;
accel_type 'auto' (the default at every door) runs on the CPU of a machine without a usable GPU
and says so; the sample runner shows no Dagster beta notes."""
from __future__ import annotations

import logging
import os
import subprocess
import warnings

import pandas as pd
import pytest

from glossapi_dagster import Corpus
from glossapi_dagster.backends.preflight import choose_accel
from glossapi_dagster.corpus_glossapi import IgnoredArgument
from glossapi_dagster.datamodel import OptionsError, PoolOptions, build
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import PYTHON, REPO, copy_pdfs
from .thesis_pdf import thesis_pdf


def _store(out) -> dict:
    return {r["stem"]: r for r in ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")}


def test_a_glossapi_script_with_every_constructor_argument_runs_process_all(tmp_path, corpus, dagster_home):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", ["4.5.chain_rule.pdf"])
    thesis_pdf(IN / "thesis.pdf")
    metadata = tmp_path / "metadata.parquet"  # GlossAPI's metadata: the slides are a chapter
    pd.DataFrame({"filename": ["4.5.chain_rule.pdf", "thesis.pdf"],
                  "document_type": ["Κεφάλαιο", "Διπλωματική"]}).to_parquet(metadata)
    with pytest.warns(IgnoredArgument) as said:
        c = Corpus(input_dir=IN, output_dir=tmp_path / "OUT", section_classifier_model_path=None,
                   extraction_model_path=tmp_path / "kmeans_weights.joblib", metadata_path=metadata,
                   annotation_mapping={"Κεφάλαιο": "chapter"}, downloader_config={"url_column": "url"},
                   log_level=logging.INFO, verbose=False)
    # downloader_config is GlossAPI's download() settings, read by download(): not ignored
    assert {str(w.message).split(":")[0] for w in said} == {"extraction_model_path"}
    assert c.downloader_config == {"url_column": "url"}
    done = c.process_all(input_format="pdf", fully_annotate=True, annotation_type="auto", download_first=False)
    assert done["extract"].processed == 2 and done["section"]["documents"] == 2
    full = pd.read_parquet(c.fully_annotated_parquet)
    types = dict(zip(full["filename"], full["document_type"]))
    assert types == {"4.5.chain_rule": "Κεφάλαιο", "thesis": "Διπλωματική"}
    slides = full[full["filename"] == "4.5.chain_rule"]
    assert set(slides["predicted_section"]) <= {"κ", "β"}  # a chapter: all body but its bibliography
    assert set(slides["label_source"]) <= {"chapter:body", "model", "heading:βιβλιογραφια", "shape:citations"}


def test_extract_takes_glossapi_filenames_file_paths_and_its_other_arguments(tmp_path, corpus, dagster_home):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", ["code_and_formula.pdf", "multicolumn.pdf",
                                                      "FEK_A_10_-_24.01.2018.pdf"])
    c = Corpus(IN, tmp_path / "OUT", progress=False)
    with pytest.raises(FileNotFoundError, match="not documents of .*: nowhere.pdf"):
        c.extract(filenames=["nowhere.pdf"], accel_type="cpu")
    with pytest.warns(IgnoredArgument) as said:
        summary = c.extract(filenames=["code_and_formula.pdf"], file_paths=[IN / "multicolumn.pdf"], accel_type="CPU",
                            code_enrichment=True, use_cls=True, export_doc_json=False, emit_formula_index=True)
    assert {str(w.message).split(":")[0] for w in said} == {"code_enrichment", "use_cls", "export_doc_json",
                                                            "emit_formula_index"}
    rows = _store(c.output_dir)
    assert summary.processed == 2
    assert {s for s, r in rows.items() if r.get("extract_status") == "success"} == {"code_and_formula", "multicolumn"}
    assert rows["FEK_A_10_-_24.01.2018"].get("extract_status") is None  # not named: left for another call
    # skip_existing=False: GlossAPI extracts again what is done; here the store keeps a success, and says so
    with pytest.warns(IgnoredArgument, match="skip_existing: .* with success are kept"):
        assert c.extract(filenames=["multicolumn"], skip_existing=False, accel_type="cpu").processed == 0

    with pytest.warns(DeprecationWarning, match="filter"):
        assert c.filter(threshold=0.1).phase == "clean"  # GlossAPI's old name of clean()

    # triage_math: the safe backend counts no formulas, so Phase 2 is recommended without a count
    assert c.triage_math() == {"unknown": 2}
    with pytest.warns(IgnoredArgument, match="dpi_base"):
        math = c.formula_enrich_from_json(files=["code_and_formula"], device="cpu", batch_size=4, dpi_base=300)
    assert math.processed == 1
    rows = _store(c.output_dir)
    assert rows["code_and_formula"]["math_status"] == "success" and rows["multicolumn"].get("math_status") is None
    assert c.triage_math() == {"2A": 1, "unknown": 1}
    rows = _store(c.output_dir)
    formula = rows["code_and_formula"]
    assert formula["phase_recommended"] == "2A" and formula["formula_total"] >= 1
    assert formula["pages_with_formula"] >= 1 and formula["formula_avg_pp"] > 0 and formula["formula_p90_pp"] >= 0


def test_accel_type_takes_glossapi_spellings_and_auto_falls_back_to_the_cpu_in_one_line():
    assert PoolOptions().accel_type == "auto"
    assert [build(PoolOptions, accel_type=a).accel_type for a in ("Auto", "CUDA", "CPU", "cuda:0")] == \
        ["auto", "cuda", "cpu", "cuda"]
    with pytest.raises(OptionsError, match="'mps' .* not supported here"):
        build(PoolOptions, accel_type="MPS")
    assert choose_accel("auto", []) == ("cpu", "accel_type='auto': no GPU found; running on the CPU")
    assert choose_accel("cpu", [0, 1]) == ("cpu", None)
    accel, note = choose_accel("auto", [0])  # the real probe: CUDA where it works, else the CPU and why
    if accel == "cuda":
        assert note is None
    else:
        assert "GPUs [0] cannot be used (" in note and note.endswith("running on the CPU")
        assert "torch" in note or "onnxruntime" in note  # what was found, not a bare "failed"


def test_the_sample_runner_with_no_device_flags_completes_and_says_it_used_the_cpu(tmp_path, corpus, dagster_home):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["multicolumn.pdf"])
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    done = subprocess.run([PYTHON, "-m", "glossapi_dagster.run_sample", "--use-gpus", "multi", "--input-dir", str(IN),
                           "--output-dir", str(tmp_path / "out"), "--skip-math"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    terminal = done.stdout + done.stderr
    assert done.returncode == 0, terminal[-3000:]
    assert "extract: 1 processed, 0 problematic" in done.stdout
    import torch

    if not torch.cuda.is_available():
        assert "running on the CPU" in done.stderr, terminal[-3000:]
    assert "Warning" not in terminal and "beta" not in terminal, terminal[-3000:]  # Dagster's notes: in the log


def test_dagster_beta_notes_go_to_the_log_not_the_terminal():
    done = subprocess.run([PYTHON, "-W", "default", "-c", "import glossapi_dagster.definitions"],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0 and "BetaWarning" not in done.stderr, done.stderr[-2000:]
    with warnings.catch_warnings(record=True):
        from glossapi_dagster.defs.quiet import dagster_notes_to_log
        from dagster import BetaWarning

        with warnings.catch_warnings(record=True) as outer:
            warnings.simplefilter("always")
            with dagster_notes_to_log():
                warnings.warn("a beta note", BetaWarning)
                warnings.warn("anything else", UserWarning)
        assert [str(w.message) for w in outer] == ["anything else"]  # other warnings still reach the user
