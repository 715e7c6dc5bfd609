"""Phase 1 under stress: a killed run resumes, hostile file names, and the dagster CLI."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import psutil

from glossapi_dagster.runs import materialize_extraction, materialize_manifest
from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import BIN, PYTHON, REPO, SAMPLE, copy_pdfs, resources

KILL_SET = ["FEK_A_5_-_17.01.2018.pdf", "GeoTopo-komprimiert.pdf", "redp5110_sampled.pdf", "multicolumn.pdf",
            "code_and_formula.pdf", "2305.03393v1-pg9.pdf", "FEK_A_10_-_24.01.2018.pdf", "typologio_mas026.pdf",
            "amt_handbook_sample.pdf", "4.5.chain_rule.pdf"]


def _run_sample(input_dir: Path, out: Path, home: Path) -> subprocess.Popen:
    env = dict(os.environ, DAGSTER_HOME=str(home))
    return subprocess.Popen(
        [PYTHON, "-m", "glossapi_dagster.run_sample", "--input-dir", str(input_dir), "--output-dir", str(out),
         "--devices", "0,1", "--accel-type", "cpu"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _successes(store: ProgressStore) -> set[str]:
    try:
        df = store.read(["stem", "extract_status"])
    except Exception:
        return set()
    if "extract_status" not in df:
        return set()
    return set(df.loc[df["extract_status"] == "success", "stem"])


def test_killed_run_resumes_without_redoing_finished_documents(tmp_path, corpus, dagster_home):
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", KILL_SET)
    out = tmp_path / "out"
    store = ProgressStore(OutputLayout(out).store_dir)
    proc = _run_sample(input_dir, out, dagster_home)
    deadline = time.monotonic() + 300
    while len(_successes(store)) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed"
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert len(workers) >= 2
    proc.kill()  # SIGKILL the controller mid-run
    proc.wait()
    gone, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, f"workers outlived their controller: {alive}"

    done_before = _successes(store)  # the store is readable right after the kill
    assert len(done_before) >= 3
    layout = OutputLayout(out)
    stamps = {s: layout.sidecar("extract", s).stat().st_mtime_ns for s in done_before}

    rerun = _run_sample(input_dir, out, dagster_home)
    output, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, output
    rows = store.read()
    assert len(rows) == len(KILL_SET) and set(rows["extract_status"]) == {"success"}
    for stem, mtime in stamps.items():  # finished before the kill: not redone
        assert layout.sidecar("extract", stem).stat().st_mtime_ns == mtime, stem


HOSTILE = ["with space.pdf", "Ελληνικό έγγραφο.pdf", "quote's \"double\".pdf", "new\nline.pdf",
           "-leading-dash.pdf", "--help.pdf", "sub/with space.pdf", "sub/deeper/..pdf"]


def test_hostile_names_stay_inside_the_output_folder(tmp_path, corpus, instance, dagster_home):
    root = tmp_path / "jail"
    input_dir, out = root / "in", root / "out"
    source = corpus / "pdfs" / "code_and_formula.pdf"
    for name in HOSTILE:
        (input_dir / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, input_dir / name)
    outside = tmp_path / "outside.pdf"
    shutil.copyfile(source, outside)
    (input_dir / "escape.pdf").symlink_to(outside)
    (input_dir / "inside-link.pdf").symlink_to(input_dir / "with space.pdf")
    before = {p for p in tmp_path.rglob("*")}

    res = resources(input_dir, out)
    assert materialize_manifest(instance, res).success
    assert materialize_extraction(instance, res, phase1_backend="docling").success

    rows = {r["filename"]: r for r in ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")}
    assert len(rows) == len(HOSTILE) + 2 - 1  # two files named "with space.pdf" share a filename
    stems = [r["stem"] for r in rows.values()]
    assert len(set(stems)) == len(stems)
    for row in rows.values():
        assert "/" not in row["stem"] and "\n" not in row["stem"] and not row["stem"].startswith("-")
    escape = rows["escape.pdf"]
    assert escape["extract_status"] == "problematic" and "outside the input folder" in escape["extract_error"]
    others = [r for name, r in rows.items() if name != "escape.pdf"]
    assert all(r["extract_status"] == "success" for r in others)
    assert rows["inside-link.pdf"]["extract_status"] == "success"
    assert (out / "markdown" / "Ελληνικό έγγραφο.md").exists()
    # nothing was written outside the output folder
    created = {p for p in tmp_path.rglob("*") if dagster_home not in p.parents} - before
    assert all(p == out or out in p.parents for p in created), sorted(map(str, created - {out}))[:5]


def test_dagster_cli_validates_and_materializes_the_sample(tmp_path, dagster_home):
    env = dict(os.environ, DAGSTER_HOME=str(dagster_home), GLOSSAPI_INPUT_DIR=str(SAMPLE),
               GLOSSAPI_OUTPUT_DIR=str(tmp_path / "out"))
    dagster = [str(BIN / "dagster")]

    def cli(*args):
        return subprocess.run(dagster + list(args), cwd=REPO, env=env, capture_output=True, text=True, timeout=600)

    validate = cli("definitions", "validate", "-m", "glossapi_dagster.definitions")
    assert validate.returncode == 0, validate.stderr[-3000:]
    manifest = cli("asset", "materialize", "-m", "glossapi_dagster.definitions", "--select", "download_results")
    assert manifest.returncode == 0, manifest.stderr[-3000:]
    extract = cli("asset", "materialize", "-m", "glossapi_dagster.definitions", "--select", "extracted_docs",
                  "--partition", "shard-00000")
    assert extract.returncode == 0, extract.stderr[-3000:]
    rows = ProgressStore(OutputLayout(tmp_path / "out").store_dir).read()
    assert len(rows) == 6
    assert (rows["extract_status"] == "success").sum() == 4
    assert (tmp_path / "out" / "markdown" / "2305.03393v1-pg9.md").stat().st_size > 1000
