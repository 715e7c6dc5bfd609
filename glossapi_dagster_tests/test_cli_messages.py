"""Issue 24, what the user sees: an error is one line (its stack trace stays in the run's log), the
progress bar and the counts say what happened, a message names the right folder, and nothing is
left behind in $TMPDIR."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from .conftest import REPO, copy_pdfs
from .user_runs import CLI, POOL, cli, errors, rows


@pytest.fixture(autouse=True)
def _ephemeral_instance(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, corpus):
    """OUT of three copies of a scanned page (triage flags each needs_ocr), extracted."""
    root = tmp_path_factory.mktemp("scanned")
    IN = root / "IN"
    for n in range(3):
        copy_pdfs(corpus / "pdfs", IN, ["ocr_test.pdf"])
        (IN / "ocr_test.pdf").rename(IN / f"scan{n}.pdf")
    done = cli("extract", IN, root / "OUT", *POOL)
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def fresh_copy(scanned, tmp_path):
    shutil.copytree(scanned / "OUT", tmp_path / "OUT")
    return tmp_path / "OUT"


# -- 12 -------------------------------------------------------------------------------------------
def test_a_damaged_store_is_one_line_without_a_stack_trace(scanned, tmp_path):
    out = fresh_copy(scanned, tmp_path)
    base = out / "download_results" / "download_results.parquet"
    base.write_bytes(base.read_bytes()[:100])  # truncated
    done = cli("extract", scanned / "IN", out, *POOL)
    assert done.returncode == 2
    assert errors(done.stderr) == [f"glossapi-dagster: error: damaged store file {base} (the base of the progress "
                                   f"store): Parquet magic bytes not found in footer. Either the file is corrupted or "
                                   f"this is not a parquet file.; restore it from a backup or move it aside to rebuild"]


def test_a_missing_ocr_model_folder_is_one_line(scanned, tmp_path):
    pytest.importorskip("onnxruntime", reason="RapidOCR is the [gpu] extra")
    done = cli("ocr", fresh_copy(scanned, tmp_path), "--mode", "ocr_bad", "--ocr-engine", "rapidocr",
               "--model-dir", tmp_path / "nonexistent", *POOL)
    assert done.returncode == 2
    assert errors(done.stderr) == [f"glossapi-dagster: error: RapidOCR model folder not found: {tmp_path / 'nonexistent'} "
                                   f"(model_dir={tmp_path / 'nonexistent'})"], errors(done.stderr)


# -- 13 and 14: the OCR bar on a persistent instance, and the counts of a mode of two phases --------
@pytest.mark.timeout(300)
def test_the_ocr_bar_counts_on_a_persistent_instance_and_two_phases_are_counted_apart(scanned, tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    done = cli("ocr", fresh_copy(scanned, tmp_path), "--mode", "ocr_bad_then_math", "--ocr-engine", "tesseract",
               *POOL, env={"DAGSTER_HOME": str(home)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "ArrowTypeError" not in done.stderr, done.stderr[-3000:]
    assert re.search(r"ocr: 3doc \[.*problematic=0\]", done.stderr.replace("\r", "\n")), done.stderr[-2000:]
    # three documents, each OCR'd, then each through math: counted per phase, not six
    assert re.match(r"ocr_bad_then_math: ocr 3 processed, 0 problematic, 0 skipped; "
                    r"math 3 processed, 0 problematic, 0 skipped in ", done.stdout), done.stdout


# -- 14: messages that name the right folder ----------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["extract", "FILE", "OUT"], "input folder {FILE} is a file, not a folder"),
    (["ocr", "NOWHERE"], "output folder {NOWHERE} does not exist"),
    (["extract", "IN", "FILE"], "output folder {FILE} is a file, not a folder"),
    (["export", "FILE", "DEST"], "output folder {FILE} is a file, not a folder"),
])
def test_messages_name_the_folder_at_fault(tmp_path, args, message):
    paths = {name: tmp_path / name for name in ("FILE", "OUT", "NOWHERE", "IN", "DEST")}
    paths["FILE"].write_text("a file, not a folder")
    paths["IN"].mkdir()
    done = cli(*[paths.get(a, a) for a in args], *(POOL if args[0] != "export" else []))
    assert done.returncode == 2
    assert errors(done.stderr) == ["glossapi-dagster: error: " + message.format(**paths)], errors(done.stderr)


# -- 14 and 15: Ctrl-C during OCR -----------------------------------------------------------------
@pytest.mark.timeout(300)
def test_ctrl_c_during_ocr_counts_the_documents_ocrd_and_leaves_no_temp_folder(scanned, tmp_path):
    out, tmp = fresh_copy(scanned, tmp_path), tmp_path / "tmp"
    tmp.mkdir()
    run = subprocess.Popen([CLI, "ocr", str(out), "--mode", "ocr_bad", "--ocr-engine", "tesseract", *POOL],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                           env={**os.environ, "TMPDIR": str(tmp)})
    deadline = time.monotonic() + 200
    while time.monotonic() < deadline and not any(r.get("ocr_success") is True for r in _rows(out)):
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole process group
    _, err = run.communicate(timeout=120)
    assert run.returncode == 130, err[-3000:]
    ocrd = sum(r.get("ocr_success") is not None for r in rows(out).values())
    assert 1 <= ocrd < 3, rows(out)
    assert errors(err)[-1] == f"interrupted; {ocrd} documents OCR'd, run again to resume", errors(err)
    assert list(tmp.iterdir()) == []  # neither the throw-away instance's folder nor the pool's


def _rows(out):
    try:
        return list(rows(out).values())
    except Exception:  # the store mid-write
        return []
