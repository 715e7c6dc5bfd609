"""The heartbeat of a pool run and lost_runs_sensor, on a real instance (SQLite, with the retry
settings of deploy/celery): a pool step beats with its node from its start to its end; a run whose
beat went silent past the bound is failed as lost, its `gpu` slot freed, and marked for run_retries;
a fresh beat, a beat its retry copied from the failed parent, or an ended step are left alone; a
controller whose run was failed as lost stops its workers. And a claim made on another machine is
given up once its run has ended (tests/test_many_nodes.py does it all across two nodes)."""
from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from datetime import datetime, timezone

import pytest
from dagster import DagsterEvent, DagsterEventType, DagsterInstance, DagsterRunStatus, build_sensor_context
from dagster._core.test_utils import create_run_for_test

from glossapi_dagster.defs.heartbeat import EVERY_TAG, HEARTBEAT_TAG, NODE_TAG
from glossapi_dagster.defs.lost_runs import lost_runs, lost_runs_sensor
from glossapi_dagster.runs import materialize_extraction, materialize_manifest
from glossapi_dagster.state.claims import Claims, RunOwner

from .conftest import REPO, copy_pdfs, resources
from .long_pdf import build_pdf
from .kills import pool_workers, wait_for

RETRIES = "run_retries:\n  enabled: true\n  max_retries: 3\n  retry_on_asset_or_op_failure: false\n"


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """deploy/dagster.yaml (SQLite, the `gpu` pool) with deploy/celery's run_retries."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    with open(home / "dagster.yaml", "a") as f:
        f.write(RETRIES)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as inst:
        yield inst


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds")


def _started(instance, tags: dict) -> str:
    """A run of extract_job in STARTED, as a run worker leaves it (RUN_START recorded)."""
    run = create_run_for_test(instance, job_name="extract_job", status=DagsterRunStatus.NOT_STARTED, tags=tags)
    instance.report_dagster_event(DagsterEvent(DagsterEventType.RUN_START.value, job_name="extract_job"), run.run_id)
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED
    return run.run_id


def test_a_silent_run_is_failed_as_lost_and_its_slot_freed(instance, monkeypatch):
    monkeypatch.setenv("GLOSSAPI_HEARTBEAT_TIMEOUT", "2")
    beat = {NODE_TAG: "node-7", EVERY_TAG: "0.5"}
    silent = _started(instance, {})
    instance.add_run_tags(silent, {**beat, HEARTBEAT_TAG: _iso(time.time())})
    instance.event_log_storage.initialize_concurrency_limit_to_default("gpu")  # as a run's executor does
    instance.event_log_storage.claim_concurrency_slot("gpu", silent, "extracted_docs")
    fresh = _started(instance, {})
    copied = _started(instance, {**beat, HEARTBEAT_TAG: _iso(time.time() - 60)})  # its parent's last beat
    ended = _started(instance, {**beat, HEARTBEAT_TAG: f"ended {_iso(time.time())}"})
    assert instance.event_log_storage.get_concurrency_info("gpu").claimed_slots

    time.sleep(2.5)  # past the bound
    instance.add_run_tags(fresh, {**beat, HEARTBEAT_TAG: _iso(time.time())})
    assert [run.run_id for run, _ in lost_runs(instance)] == [silent]
    with build_sensor_context(instance=instance) as context:
        assert "1 lost run" in lost_runs_sensor(context).skip_message

    run = instance.get_run_by_id(silent)
    assert run.status == DagsterRunStatus.FAILURE
    failure = instance.all_logs(silent, of_type=DagsterEventType.RUN_FAILURE)[0]
    assert "Run lost: no heartbeat from its node node-7" in failure.message
    assert run.tags.get("dagster/will_retry") == "true"  # not an asset failure: run_retries takes it
    assert not instance.event_log_storage.get_concurrency_info("gpu").claimed_slots
    for other in (fresh, copied, ended):
        assert instance.get_run_by_id(other).status == DagsterRunStatus.STARTED


def test_a_pool_run_beats_with_its_node_until_its_end(tmp_path, corpus, instance):
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["multicolumn.pdf", "code_and_formula.pdf"])
    res = resources(input_dir, tmp_path / "out", devices=[0], summary_interval=1.0)
    assert materialize_manifest(instance, res).success
    result = materialize_extraction(instance, res, phase1_backend="safe")
    assert result.success
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags[NODE_TAG] == socket.gethostname() and tags[EVERY_TAG] == "1"
    assert tags[HEARTBEAT_TAG].startswith("ended ")  # the step is over: no longer judged
    assert lost_runs(instance, now=time.time() + 3600) == []


def test_a_run_failed_as_lost_stops_its_own_pool(tmp_path, corpus, instance):
    """Declared lost while it still runs (a node cut off, then back): it stops, so its shard never
    runs twice at once, and leaves no worker behind."""
    input_dir = tmp_path / "in"
    for i in range(6):
        build_pdf(corpus / "pdfs", ["FEK_A_5_-_17.01.2018.pdf"], 90 + i, input_dir / f"volume-{i}.pdf")
    res = resources(input_dir, tmp_path / "out", devices=[0], summary_interval=0.2)
    assert materialize_manifest(instance, res).success
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(result=_extract(instance, res)))
    thread.start()
    wait_for(lambda: pool_workers(), timeout=120, what="the pool's worker")
    run = next(r for r in instance.get_runs() if r.status == DagsterRunStatus.STARTED)
    instance.report_run_failed(run, "declared lost by the test")
    thread.join(120)
    assert not thread.is_alive()
    result = outcome["result"]
    assert not result.success
    error = result.failure_data_for_node("extracted_docs").error.to_string()
    assert "failed as lost" in error, error
    assert not pool_workers()


def _extract(instance, res):
    from glossapi_dagster.runs import RANGE_END, RANGE_START, run_job

    keys = instance.get_dynamic_partitions("shards")
    return run_job(instance, res, "extract_job", {"ops": {"extracted_docs": {"config": {"phase1_backend": "safe"}}}},
                   tags={RANGE_START: keys[0], RANGE_END: keys[-1]}, raise_on_error=False)


def test_another_machines_claim_is_given_up_once_its_run_has_ended(tmp_path):
    folder = tmp_path / "store"
    running = {"run-a"}
    owner = RunOwner("run-b", lambda run_id: run_id in running)
    claims = Claims(folder, "extract", owner)
    claims.folder.mkdir(parents=True)
    elsewhere = {"host": "another-node", "pid": 1, "started": "1"}
    (claims.folder / "doc1").write_text(json.dumps({**elsewhere, "run": "run-a"}))
    (claims.folder / "doc2").write_text(json.dumps(elsewhere))  # no run to ask: never stolen
    assert claims.claim(["doc1", "doc2"]) == []
    running.clear()  # run-a failed as lost
    assert claims.claim(["doc1", "doc2"]) == ["doc1"]
    assert json.loads((claims.folder / "doc1").read_text())["run"] == "run-b"
    # a claim taken over from us (we were declared lost meanwhile) is not ours to release; a run
    # takes a stale claim over as Claims does: the old one removed, its own made (never written into)
    (claims.folder / "doc1").unlink()
    (claims.folder / "doc1").write_text(json.dumps({**elsewhere, "run": "run-c"}))
    claims.release()
    assert (claims.folder / "doc1").exists()
