"""What a user sees running the sample (scripts/run-sample.sh, run_sample.py): a progress bar per
phase and the summary; Dagster's per-step DEBUG events go to the instance (the run's page in the
UI), not the terminal."""
from __future__ import annotations

import os
import re
import subprocess

from dagster import DagsterEventType, DagsterInstance

from .conftest import PYTHON, REPO, copy_pdfs

DEBUG_EVENTS = ("STEP_START", "RUN_START", "ENGINE_EVENT", "LOGS_CAPTURED", "RESOURCE_INIT_STARTED", "STEP_SUCCESS")


def test_sample_run_shows_bars_and_summary_and_keeps_debug_events_in_the_instance(tmp_path, corpus, dagster_home):
    IN = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["code_and_formula.pdf"])
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([PYTHON, "-m", "glossapi_dagster.run_sample", "--input-dir", str(IN), "--output-dir",
                           str(tmp_path / "out"), "--devices", "0", "--accel-type", "cpu", "--phase1-backend", "safe",
                           "--math-engine", "textlayer"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    terminal = (done.stdout + done.stderr).replace("\r", "\n")
    assert done.returncode == 0, terminal[-3000:]
    assert not re.search(r" - (DEBUG|INFO) - ", terminal), terminal[-3000:]
    assert not [e for e in DEBUG_EVENTS if e in terminal] and "Warning" not in terminal, terminal[-3000:]
    # a bar per phase: the extraction's over the documents pending, the math's counting up
    assert re.search(r"^extract: 100%\|.*\| 1/1 ", terminal, re.M), terminal[-3000:]
    assert re.search(r"^math: 1doc ", terminal, re.M), terminal[-3000:]
    # the summary
    assert "extract: 1 processed, 0 problematic, 0 skipped" in done.stdout
    assert "math_only: 1 processed, 0 problematic" in done.stdout
    assert "Documents: 1; by outcome: {'success': 1}" in done.stdout
    assert "Math (Phase 2): {'success': 1}; formulas decoded: 1" in done.stdout
    # every event is still in the instance, on the runs' pages of the UI
    with DagsterInstance.get() as instance:
        runs = {r.job_name: r.run_id for r in instance.get_runs()}
        assert {"manifest_job", "extract_job", "math_job"} <= set(runs)
        for job in ("extract_job", "math_job"):
            logs = instance.all_logs(runs[job])
            assert instance.all_logs(runs[job], of_type=DagsterEventType.STEP_START)
            assert any(e.level == 10 for e in logs)  # DEBUG
            assert any("shard(s)" in (e.user_message or "") for e in logs)  # the asset's own INFO lines
