"""Issue 24, silent loss and corruption: what a careful user does with the CLI and Corpus (no
DAGSTER_HOME unless said) loses no document. Real CLI processes, real workers, real PDFs."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from glossapi_dagster import Corpus

from .conftest import copy_pdfs
from .user_runs import POOL, cli, errors, needs_setpriv, rows


@pytest.fixture(autouse=True)
def _ephemeral_instance(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


# -- 1. ocr and Phase 2 on a throw-away instance -----------------------------------------------
@pytest.mark.timeout(300)
def test_ocr_and_math_find_their_work_on_a_throwaway_instance(tmp_path, corpus):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", ["ocr_test.pdf"])  # scanned: triage flags it needs_ocr
    OUT = tmp_path / "OUT"
    assert cli("extract", IN, OUT, *POOL).returncode == 0
    assert rows(OUT)["ocr_test"]["needs_ocr"] is True

    early = cli("ocr", OUT, "--mode", "math_only", *POOL)  # before its OCR: Phase 2 cannot take it, and says so
    assert early.returncode == 0, early.stderr[-3000:]
    assert "1 extracted PDF(s) not through math: they wait for OCR" in early.stderr, errors(early.stderr)

    ocr = cli("ocr", OUT, "--mode", "ocr_bad", "--ocr-engine", "tesseract", *POOL)
    assert ocr.returncode == 0, ocr.stderr[-3000:]
    assert "ocr_bad: 1 processed, 0 problematic" in ocr.stdout, ocr.stdout
    row = rows(OUT)["ocr_test"]
    assert row["ocr_success"] is True and row["needs_ocr"] is False and row["ocr_pages"] == 1

    # README's Python flow, in one process on another throw-away instance: Phase 2 finds the OCR'd PDF
    summary = Corpus(OUT, OUT, progress=False).ocr(mode="math_only", accel_type="cpu", devices=[0])
    assert summary.processed == 1 and not summary.notes, str(summary)
    assert rows(OUT)["ocr_test"]["math_status"] in ("success", "no_math")


# -- 2. an export into OUT's own folders, or into IN ---------------------------------------------
@pytest.mark.timeout(300)
def test_an_export_never_writes_over_documents_nor_into_the_input(tmp_path, corpus):
    IN, OUT = tmp_path / "IN", tmp_path / "OUT"
    IN.mkdir()
    shutil.copyfile(corpus / "pdfs" / "typologio_mas026.pdf", IN / "README.pdf")  # its markdown: OUT/markdown/README.md
    assert cli("extract", IN, OUT, *POOL).returncode == 0
    text = (OUT / "markdown" / "README.md").read_text(encoding="utf-8")
    for dest, why in [(OUT / "markdown", "the output folder's own"), (OUT, "the output folder itself"),
                      (IN / "dataset", "lies in the input folder")]:
        refused = cli("export", OUT, dest)
        assert refused.returncode == 2 and why in refused.stderr, refused.stderr[-2000:]
        assert len(errors(refused.stderr)) == 1, errors(refused.stderr)  # one line, no traceback
    assert (OUT / "markdown" / "README.md").read_text(encoding="utf-8") == text
    assert not (IN / "dataset").exists() and not (OUT / "README.md").exists()

    # IN == OUT (GlossAPI's layout): an export in a folder of its own is never taken in as a document
    SAME = tmp_path / "SAME"
    SAME.mkdir()
    shutil.copyfile(corpus / "pdfs" / "typologio_mas026.pdf", SAME / "README.pdf")
    assert cli("extract", SAME, SAME, *POOL).returncode == 0
    exported = cli("export", SAME, SAME / "dataset")
    assert exported.returncode == 0 and (SAME / "dataset" / "README.md").is_file(), exported.stderr[-2000:]
    again = cli("extract", SAME, SAME, *POOL, "--input-format", "all")
    assert again.returncode == 0 and "holds an exported dataset: not scanned" in again.stderr, again.stderr[-2000:]
    assert list(rows(SAME)) == ["README"]


# -- 3, 4 and 14: a hostile input folder, as a user (not root) meets it ----------------------------
@pytest.fixture(scope="module")
def hostile(tmp_path_factory, corpus):
    """IN with a broken symlink, a chmod-000 file, a folder that cannot be listed and a symlink to a
    folder outside; extracted as a user, then with every cause removed, extracted again."""
    root = tmp_path_factory.mktemp("hostile")
    IN, OUT, elsewhere = root / "IN", root / "OUT", root / "elsewhere"
    copy_pdfs(corpus / "pdfs", IN, ["typologio_mas026.pdf"])
    copy_pdfs(corpus / "pdfs", IN / "locked", ["multicolumn.pdf"])
    copy_pdfs(corpus / "pdfs", elsewhere, ["multicolumn.pdf"])
    (IN / "more").symlink_to(elsewhere)
    (IN / "link.pdf").symlink_to("nowhere.pdf")
    shutil.copyfile(corpus / "pdfs" / "multicolumn.pdf", IN / "secret.pdf")
    os.chmod(IN / "secret.pdf", 0)
    os.chmod(IN / "locked", 0)
    first = cli("extract", IN, OUT, *POOL, as_user=True)
    status = cli("status", OUT)
    before = rows(OUT)

    (IN / "link.pdf").unlink()  # the causes gone: a real PDF where the link was, the file readable and edited
    shutil.copyfile(corpus / "pdfs" / "typologio_mas026.pdf", IN / "link.pdf")
    os.chmod(IN / "secret.pdf", 0o644)
    with open(IN / "secret.pdf", "ab") as f:
        f.write(b"\n% edited\n")
    os.chmod(IN / "locked", 0o755)
    second = cli("extract", IN, OUT, *POOL, as_user=True)
    return {"first": first, "status": status, "before": before, "second": second, "after": rows(OUT), "IN": IN}


@needs_setpriv
def test_rows_the_scan_could_not_read_are_in_the_run_summary(hostile):
    problems = {s for s, r in hostile["before"].items() if r["extract_status"] == "problematic"}
    assert problems == {"link", "secret"}, problems
    assert "extract: 1 processed, 2 problematic" in hostile["first"].stdout, hostile["first"].stdout
    assert "extract problematic: 2" in hostile["status"].stdout


@needs_setpriv
def test_each_folder_not_scanned_is_said_and_counted(hostile):
    err, out = hostile["first"].stderr, hostile["first"].stdout
    assert f"folder {hostile['IN'] / 'locked'} not scanned: Permission denied" in err, errors(err)
    assert f"folder {hostile['IN'] / 'more'} is a symlink" in err and "not followed" in err, errors(err)
    assert f"note: 2 folder(s) of {hostile['IN']} not scanned" in out, out


@needs_setpriv
def test_a_row_whose_cause_is_gone_is_pending_again_and_extracted(hostile):
    before, after = hostile["before"], hostile["after"]
    assert before["link"]["extract_error"].startswith("broken symlink")
    assert before["secret"]["extract_error"] == "unreadable: Permission denied"
    assert hostile["second"].returncode == 0, hostile["second"].stderr[-3000:]
    for stem in ("link", "secret"):  # a plain rerun: no --reprocess
        assert after[stem]["extract_status"] == "success" and after[stem]["download_success"], after[stem]
    assert after["locked__multicolumn"]["extract_status"] == "success"  # the folder, readable now, is scanned


@pytest.mark.timeout(300)
def test_a_file_gone_during_a_run_and_restored_is_extracted_by_a_plain_rerun(tmp_path, corpus):
    from glossapi_dagster.runs import materialize_extraction, materialize_manifest
    from glossapi_dagster.defs.resources import CorpusResource, GpuPoolResource

    IN = copy_pdfs(corpus / "pdfs", tmp_path / "IN", ["typologio_mas026.pdf"])
    OUT, kept = tmp_path / "OUT", tmp_path / "kept.pdf"
    resources = {"corpus": CorpusResource(input_dir=str(IN), output_dir=str(OUT)),
                 "gpu_pool": GpuPoolResource(devices=[0], accel_type="cpu")}
    from dagster import DagsterInstance

    with DagsterInstance.ephemeral() as instance:
        materialize_manifest(instance, resources)  # the run's scan found it ...
        shutil.move(IN / "typologio_mas026.pdf", kept)  # ... then it was moved away under the run
        materialize_extraction(instance, resources)
    assert rows(OUT)["typologio_mas026"]["extract_error"].startswith("unreadable: No such file")
    shutil.copy2(kept, IN / "typologio_mas026.pdf")  # restored as `cp -p` does: same size, same mtime
    rerun = cli("extract", IN, OUT, *POOL)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert rows(OUT)["typologio_mas026"]["extract_status"] == "success"


# -- 5. a moved input folder ---------------------------------------------------------------------
@pytest.mark.timeout(300)
def test_a_moved_input_folder_keeps_its_rows_and_outputs(tmp_path, corpus):
    IN, OUT = copy_pdfs(corpus / "pdfs", tmp_path / "IN", ["typologio_mas026.pdf", "multicolumn.pdf"]), tmp_path / "OUT"
    assert cli("extract", IN, OUT, *POOL).returncode == 0
    made = {s: (OUT / "markdown" / f"{s}.md").stat().st_mtime_ns for s in rows(OUT)}
    IN.rename(tmp_path / "IN2")  # `mv IN IN2`
    moved = cli("extract", tmp_path / "IN2", OUT, *POOL)
    assert moved.returncode == 0, moved.stderr[-3000:]
    assert "extract: 0 processed" in moved.stdout, moved.stdout  # nothing extracted again
    store = rows(OUT)
    assert sorted(store) == sorted(made)  # no second row, no hash-suffixed stem
    assert all(Path(r["path"]).parent == tmp_path / "IN2" and not r["missing"] for r in store.values()), store
    assert {s: (OUT / "markdown" / f"{s}.md").stat().st_mtime_ns for s in store} == made
    assert "missing files: 0" in cli("status", OUT).stdout
