"""force_ocr with RapidOCR on onnxruntime: bundled models offline, model errors at worker start,
the CPU fallback's single warning, reading order, and the GPU preflight (made to find no CUDA)."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from glossapi_dagster.backends.ocr.rapidocr import ENV_MODEL_DIR, OcrExtractor, OcrModelError, bundled_model_dir, resolve_models
from glossapi_dagster.backends.ocr.layout import Line, paragraphs
from glossapi_dagster.backends.preflight import GpuFacts, PreflightError, check_gpus, probe_gpus
from glossapi_dagster.runs import materialize_extraction, materialize_manifest
from glossapi_dagster.state.artifacts import load_docling_json
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import copy_pdfs, cpu_pool, resources


@pytest.fixture
def no_model_env(monkeypatch):
    monkeypatch.delenv(ENV_MODEL_DIR, raising=False)


# -- models ------------------------------------------------------------------------------------

def test_bundled_models_are_found_in_the_wheel_and_carry_their_characters(no_model_env):
    models = resolve_models()
    assert models.source == "bundled with rapidocr"
    for path in (models.det, models.rec):
        assert path.parent == bundled_model_dir() and path.suffix == ".onnx" and path.stat().st_size > 1_000_000
    import onnxruntime as ort

    rec = ort.InferenceSession(str(models.rec), providers=["CPUExecutionProvider"])
    characters = rec.get_modelmeta().custom_metadata_map["character"]  # no keys file to download
    assert "Ω" in characters and "λ" in characters


def test_a_missing_or_bad_model_is_one_error_naming_the_path(tmp_path, no_model_env, monkeypatch):
    missing = tmp_path / "nowhere" / "det.onnx"
    with pytest.raises(OcrModelError, match=str(missing)):
        OcrExtractor(det_model=str(missing))
    garbage = tmp_path / "rec.onnx"
    garbage.write_bytes(b"not an onnx model" * 100)
    with pytest.raises(OcrModelError, match=f"rec model cannot be loaded.*{garbage}"):
        OcrExtractor(rec_model=str(garbage))
    # a recogniser whose ONNX has no character list needs its keys file; nothing is downloaded
    cls = resolve_models().cls
    with pytest.raises(OcrModelError, match=f"no character list.*{cls}"):
        OcrExtractor(rec_model=str(cls))
    # a model folder (GlossAPI's variable) that lacks a recogniser
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "det.onnx").write_bytes((bundled_model_dir() / resolve_models().det.name).read_bytes())
    monkeypatch.setenv(ENV_MODEL_DIR, str(folder))
    with pytest.raises(OcrModelError, match=f"rec model not found in {folder}.*{ENV_MODEL_DIR}"):
        OcrExtractor()
    monkeypatch.setenv(ENV_MODEL_DIR, str(tmp_path / "no-such-folder"))
    with pytest.raises(OcrModelError, match=str(tmp_path / "no-such-folder")):
        OcrExtractor()


def test_cuda_asked_for_but_absent_gives_the_cpu_provider_and_one_warning(no_model_env, monkeypatch, caplog):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # no GPU for this process, on any machine
    log = logging.getLogger("test-ocr-fallback")
    with caplog.at_level(logging.INFO, logger="test-ocr-fallback"):
        extractor = OcrExtractor(device="cuda:0", log=log)
    assert extractor.providers == ["CPUExecutionProvider"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "CUDAExecutionProvider" in warnings[0] and "accel_type='cpu'" in warnings[0]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="test-ocr-fallback"):
        OcrExtractor(device="cpu", log=log)  # the CPU chosen: nothing to warn about
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- reading order -------------------------------------------------------------------------------

def test_lines_are_read_heading_first_then_column_by_column():
    h = 20
    lines = [  # shuffled as a detector returns them; pixel coordinates
        Line(320, 200, 600, 200 + h, "right column starts here and"),
        Line(40, 200, 300, 200 + h, "Left column, first para-"),
        Line(40, 100, 600, 100 + h, "A HEADING OVER BOTH COLUMNS"),
        Line(40, 224, 300, 224 + h, "graph goes on."),
        Line(320, 224, 600, 224 + h, "continues below."),
        Line(40, 290, 300, 290 + h, "Second paragraph, left."),
        Line(302, 296, 308, 296 + h, "1"),  # a page number in the gutter, close to the left column
    ]
    got = [p.text for p in paragraphs(lines)]
    assert got == ["A HEADING OVER BOTH COLUMNS", "Left column, first paragraph goes on.",
                   "Second paragraph, left. 1", "right column starts here and continues below."]


# -- force_ocr through Dagster -------------------------------------------------------------------

def test_force_ocr_yields_the_words_of_the_scan_as_docling_json(tmp_path, corpus, instance, no_model_env):
    from docling_core.types.doc import DoclingDocument

    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["ocr_test.pdf"])
    out = tmp_path / "out"
    res = resources(input_dir, out)
    assert materialize_manifest(instance, res).success
    assert materialize_extraction(instance, res, force_ocr=True, ocr_engine="rapidocr").success
    layout = OutputLayout(out)
    row = ProgressStore(layout.store_dir).read().to_dict("records")[0]
    assert row["extract_status"] == "success" and row["extraction_backend"] == "rapidocr"
    assert row["ocr_pages"] == 1 and row["ocr_engine"] == "rapidocr"
    assert row["ocr_success"] is True and row["needs_ocr"] is False and row["page_count"] == 1
    words = (corpus / "groundtruth" / "ocr_test.md").read_text().split()
    markdown = layout.markdown("ocr_test").read_text(encoding="utf-8")
    assert all(w in markdown for w in words), markdown
    doc = DoclingDocument.model_validate(load_docling_json(layout.docling_json("ocr_test")))
    assert list(doc.pages) == [1] and round(doc.pages[1].size.width) == 595 and round(doc.pages[1].size.height) == 842
    [para] = doc.texts  # three detected lines, one paragraph
    assert para.text.startswith("Docling bundles") and para.text.endswith("package")
    box = para.prov[0].bbox
    assert para.prov[0].page_no == 1 and box.coord_origin.value == "BOTTOMLEFT"
    assert 0 < box.l < box.r < 595 and 842 > box.t > box.b > 0 and box.t > 842 / 2  # near the top of the page
    # each worker's log: its binding banner with onnxruntime's providers, and the session's own
    log_text = "".join(p.read_text() for p in layout.worker_logs("extract").glob("*.log"))
    assert "onnxruntime_providers=" in log_text and "providers=['CPUExecutionProvider']" in log_text
    assert "OCR on the CPU" not in log_text  # accel_type='cpu' was asked for: no warning


def test_a_missing_model_fails_the_run_before_any_work_naming_it(tmp_path, corpus, instance, monkeypatch):
    missing = tmp_path / "greek-models"
    monkeypatch.setenv(ENV_MODEL_DIR, str(missing))  # the workers inherit it
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["ocr_test.pdf", "FEK_A_10_-_24.01.2018.pdf"])
    res = resources(input_dir, tmp_path / "out")
    assert materialize_manifest(instance, res).success
    with pytest.raises(Exception, match=f"RapidOCR model folder not found: {missing}"):
        materialize_extraction(instance, res, force_ocr=True)  # ocr_engine='auto' looks at that folder first
    rows = ProgressStore(OutputLayout(tmp_path / "out").store_dir).read()
    assert "extract_status" not in rows or rows["extract_status"].isna().all()  # no document blamed


# -- GPU preflight -------------------------------------------------------------------------------

GOOD = GpuFacts(ort_version="1.31.1", providers=["CUDAExecutionProvider", "CPUExecutionProvider"],
                ort_cuda_session=True, ort_distributions=["onnxruntime-gpu"], torch_version="2.14.1",
                torch_cuda=True, torch_device_count=2)


def test_preflight_message_says_what_was_found_and_what_is_needed():
    check_gpus([0, 1], GOOD)  # everything there: passes
    no_cuda = GpuFacts(**{**GOOD.__dict__, "ort_cuda_session": False,
                          "ort_cuda_error": "the session fell back to ['CPUExecutionProvider']",
                          "torch_cuda": False, "torch_device_count": 0})
    with pytest.raises(PreflightError) as failed:
        check_gpus([0, 1], no_cuda)
    message = str(failed.value)
    assert "devices [0, 1]" in message and "Found:" in message and "Needed:" in message
    assert "cannot create a session" in message and "torch.cuda.is_available() is False" in message
    assert "accel_type='cpu'" in message
    with pytest.raises(PreflightError, match=r"without CUDAExecutionProvider"):
        check_gpus([0], GpuFacts(**{**GOOD.__dict__, "providers": ["CPUExecutionProvider"]}))
    with pytest.raises(PreflightError, match=r"sees 2 CUDA device\(s\), but device ids \[0, 3\] need at least 4"):
        check_gpus([0, 3], GOOD)
    with pytest.raises(PreflightError, match="plain onnxruntime is installed beside onnxruntime-gpu"):
        check_gpus([0], GpuFacts(**{**GOOD.__dict__, "ort_distributions": ["onnxruntime", "onnxruntime-gpu"]}))


def test_preflight_probe_with_the_gpus_hidden_refuses():
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # what a machine without a usable GPU shows
    facts = probe_gpus(env=env)
    assert facts.ort_version and "CUDAExecutionProvider" in facts.providers  # onnxruntime-gpu lists it...
    assert facts.ort_cuda_session is False and facts.torch_cuda is False  # ...but it cannot be used
    with pytest.raises(PreflightError, match="lists CUDAExecutionProvider but cannot create a session"):
        check_gpus([0], facts)


def test_preflight_runs_before_any_worker_for_cuda_and_not_for_cpu(tmp_path, corpus, instance):
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["code_and_formula.pdf"])
    out = tmp_path / "out"
    # ids 0 and 63: no machine has 64 GPUs, so this fails on every machine, GPU or not
    res = resources(input_dir, out, devices=[0, 63], accel_type="cuda")
    assert materialize_manifest(instance, res).success
    with pytest.raises(Exception, match=r"GPU preflight failed for devices \[0, 63\].*Needed:"):
        materialize_extraction(instance, res, phase1_backend="docling")
    assert not OutputLayout(out).worker_logs("extract").exists()  # no worker was started
    config = cpu_pool(devices=[0, 63]).pool_config(str(out), "extract")  # the CPU chosen: no preflight
    assert [d.cuda_id for d in config.devices] == [0, 63]


def test_models_load_offline_without_network(no_model_env, monkeypatch, tmp_path):
    """Nothing is fetched: with every cache pointed at an empty folder and hub access off, the
    bundled models load and RapidOCR's models folder gains no file."""
    for var in ("HF_HOME", "XDG_CACHE_HOME", "DOCLING_CACHE_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    before = sorted(p.name for p in bundled_model_dir().iterdir())
    extractor = OcrExtractor(threads=1)
    assert extractor.models.det.exists() and extractor.models.rec.exists()
    assert sorted(p.name for p in bundled_model_dir().iterdir()) == before
    assert not any(Path(tmp_path).rglob("*.onnx"))
