"""Two GPU nodes for real (README "Across machines"): a deploy/celery instance on PostgreSQL and
Redis with the daemon, two Celery workers from scripts/node.sh (GLOSSAPI_DEVICES 0 and 1, CPU
workers) each in its own network namespace and hostname where the test runs as root, and an asset
backfill over 4 shards in runs of 2 (GLOSSAPI_SHARDS_PER_RUN). The runs spread, one per node; one
node is killed -9 (its whole process group) in the middle of a shard: its run is failed from its
heartbeat within seconds, its pool slot freed, the run retried on the other node, which does only
what is left; the backfill ends successful with every document once in the store. Budget: about
3 minutes on 2 busy cores.
"""
from __future__ import annotations

import importlib.util
import shutil
import time
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from glossapi_dagster.defs.heartbeat import NODE_TAG
from glossapi_dagster.state import OutputLayout, ProgressStore
from glossapi_dagster.state.claims import Claims, RunOwner
from glossapi_dagster.state.ranges import RangeJournal

from .cluster import celery_cluster
from .conftest import REPO, expected_extract
from .long_pdf import build_pdf

_spec = importlib.util.spec_from_file_location("backfill", REPO / "scripts" / "backfill.py")
backfill = importlib.util.module_from_spec(_spec)  # scripts/backfill.py: what an operator runs
_spec.loader.exec_module(backfill)

pytestmark = pytest.mark.timeout(480)

PER_SHARD, PER_RUN = 5, 2
# shards 0 and 1: documents of the corpus, good and broken; shards 2 and 3: volumes of 150 pages
# (2 page ranges each) made of corpus pages, so a run works for several seconds: time to kill it
CORPUS = ["2305.03393v1-pg9.pdf", "4.5.chain_rule.pdf", "FEK_A_10_-_24.01.2018.pdf", "MAS029-LECTURE1-7.9.2020_nc.pdf",
          "amt_handbook_sample.pdf", "code_and_formula.pdf", "empty.pdf", "libreoffice-writer-password.pdf",
          "multicolumn.pdf", "typologio_mas026.pdf"]
VOLUMES = 10
BOUND, POLL = 5, 2                     # GLOSSAPI_HEARTBEAT_TIMEOUT, GLOSSAPI_LOST_RUN_POLL (seconds)
NAMES = ["i27-node-a", "i27-node-b"]
LABELS = ["gpu0", "gpu1"]              # each node's worker: GLOSSAPI_DEVICES=0 and 1


def _inputs(corpus: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in CORPUS:
        shutil.copyfile(corpus / "pdfs" / name, dst / name)
    for i in range(VOLUMES):  # a page more each: no two files alike; named to sort after the corpus's
        build_pdf(corpus / "pdfs", ["FEK_A_5_-_17.01.2018.pdf"], 150 + i, dst / f"volume-{i:02d}.pdf")
    return dst


@pytest.fixture
def cluster(tmp_path, corpus, monkeypatch):
    assert shutil.which("redis-server"), "redis-server is installed by scripts/system-deps.sh"
    settings = {"GLOSSAPI_SHARDS_PER_RUN": str(PER_RUN), "GLOSSAPI_HEARTBEAT_TIMEOUT": str(BOUND),
                "GLOSSAPI_LOST_RUN_POLL": str(POLL)}
    with celery_cluster(tmp_path, _inputs(corpus, tmp_path / "in"), NAMES, settings, PER_SHARD) as cluster:
        for key in ("DAGSTER_HOME", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_HOST",
                    "DAGSTER_PG_DB", "DAGSTER_PG_PORT", "DAGSTER_CELERY_BROKER_URL", "DAGSTER_CELERY_BACKEND_URL"):
            monkeypatch.setenv(key, cluster.env[key])  # this test reads the same instance
        with DagsterInstance.get() as instance:
            yield cluster, instance


def _wait(predicate, timeout: float, what: str, explain=lambda: "", interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while not predicate():
        problem = explain()
        assert not problem, f"{what}: {problem}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


def _shards_of(run) -> list[str]:
    first, last = run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]
    return [f"shard-{i:05d}" for i in range(int(first[-5:]), int(last[-5:]) + 1)]


def _done(store: ProgressStore, shards: list[str]) -> dict[str, dict]:
    rows = store.read(["stem", "shard", "extract_status", "worker", "updated_at"])
    if "extract_status" not in rows:  # nothing extracted yet
        return {}
    rows = rows[rows["shard"].isin(shards) & rows["extract_status"].isin(["success", "problematic"])]
    return {r["stem"]: r for r in rows.to_dict("records")}


def _mid_shard(instance, store: ProgressStore, layout_logs: Path):
    """(node index, run) of a node whose run has documents of its shards done and one in its
    worker's hands; None while there is none."""
    for run in instance.get_runs():
        if run.status != DagsterRunStatus.STARTED or run.tags.get(NODE_TAG) not in NAMES:
            continue
        i = NAMES.index(run.tags[NODE_TAG])
        marker = layout_logs / f"{LABELS[i]}.current"
        holding = marker.is_file() and marker.read_text().strip()
        if holding and 0 < len(_done(store, _shards_of(run))) < PER_SHARD * PER_RUN:
            return i, run
    return None


def test_backfill_spreads_and_a_killed_node_is_retried_elsewhere(cluster, corpus):
    cluster, instance = cluster
    nodes, net = cluster.nodes, cluster.network
    layout = OutputLayout(cluster.out)
    store = ProgressStore(layout.store_dir)
    shards = instance.get_dynamic_partitions("shards")
    assert shards == [f"shard-{i:05d}" for i in range(4)]

    started = time.time()
    backfill_id = backfill.launch("extracted_docs", None, env=cluster.env)

    # both runs started, one on each node; then a node killed in the middle of its shards
    def one_run_a_node():
        started = [r for r in instance.get_runs() if r.tags.get(NODE_TAG)]
        return {r.tags[NODE_TAG] for r in started} == set(NAMES)

    _wait(one_run_a_node, 200, "a run on each node", lambda: [f"{r.run_id[:8]} {r.status.value}" for r in
                                                              instance.get_runs() if r.status == DagsterRunStatus.FAILURE])
    victim: list = []
    _wait(lambda: victim.append(_mid_shard(instance, store, layout.root / "logs" / "extract_workers")) or victim[-1],
          120, "a node in the middle of a shard")
    i, lost_run = victim[-1]
    nodes[i].kill()
    killed_at = time.time()
    survivor = 1 - i
    done_before = _done(store, _shards_of(lost_run))  # what the dead node finished, and recorded
    if net.isolated:  # nothing of the dead node left: not its run, its step, nor its pool's workers
        _wait(lambda: not net.pids(i), 10, "the killed node's namespace empty", interval=0.2)
    _wait(lambda: not nodes[i].group(), 10, "the killed node's process group gone", interval=0.2)

    _wait(lambda: instance.get_backfill(backfill_id).status.value != "REQUESTED", 300, "the backfill's end",
          lambda: [f"{r.run_id[:8]} {r.status.value}" for r in instance.get_runs()
                   if r.status == DagsterRunStatus.FAILURE and r.run_id != lost_run.run_id],
          interval=1.0)
    makespan = time.time() - started
    assert instance.get_backfill(backfill_id).status.value == "COMPLETED_SUCCESS"

    # the lost run: failed by lost_runs_sensor within the bound plus a look, its slot freed
    failure = instance.all_logs(lost_run.run_id, of_type=DagsterEventType.RUN_FAILURE)
    assert failure and "Run lost" in failure[0].message, failure
    detected = failure[0].timestamp - killed_at
    assert detected < BOUND + POLL + 15, f"lost run failed {detected:.1f} s after the kill"
    assert instance.get_run_by_id(lost_run.run_id).status == DagsterRunStatus.FAILURE
    gpu = instance.event_log_storage.get_concurrency_info("gpu")
    assert not gpu.claimed_slots and not gpu.pending_steps, gpu

    # retried on the other node, which did only what was left of the shard
    runs = instance.get_runs(filters=None)
    retries = [r for r in runs if r.parent_run_id == lost_run.run_id]
    assert len(retries) == 1 and retries[0].status == DagsterRunStatus.SUCCESS
    retry = retries[0]
    assert retry.tags[NODE_TAG] == NAMES[survivor] and _shards_of(retry) == _shards_of(lost_run)
    todo = [e.message for e in instance.all_logs(retry.run_id, of_type=None)
            if e.message and "documents to extract" in e.message]
    assert todo and todo[0].startswith(f"{PER_SHARD * PER_RUN - len(done_before)} documents"), todo
    final = _done(store, _shards_of(lost_run))
    for stem, row in done_before.items():  # kept as the dead node wrote them
        assert final[stem]["worker"] == LABELS[i] and final[stem]["updated_at"] == row["updated_at"], stem
    for stem in set(final) - set(done_before):
        if final[stem]["worker"] != LABELS[survivor]:
            # a long document whose every range the dead node had converted before it was lost: the
            # retry only assembled it, and it names the worker that converted it (its journal's)
            converted = [e for e in RangeJournal(layout.root, stem, "", "extract").history() if e["status"] == "done"]
            assert converted and {e.get("worker") for e in converted} == {final[stem]["worker"]} == {LABELS[i]}, stem

    # every run but the lost one succeeded; both nodes took runs, never two at once
    records = instance.get_run_records()
    ours = [r for r in records if r.dagster_run.tags.get("dagster/backfill") == backfill_id]
    assert {r.dagster_run.status for r in ours if r.dagster_run.run_id != lost_run.run_id} == {DagsterRunStatus.SUCCESS}
    assert sorted(s for r in ours if r.dagster_run.status == DagsterRunStatus.SUCCESS
                  for s in _shards_of(r.dagster_run)) == shards
    for name in NAMES:
        spans = sorted((r.start_time, r.end_time) for r in ours if r.dagster_run.tags.get(NODE_TAG) == name)
        assert spans, f"{name} took no run"
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:])), (name, spans)

    # the store: every document once, each with its outcome; nothing left, no claim left behind
    rows = store.read(["stem", "extract_status", "extract_error"])
    assert rows["stem"].is_unique and len(rows) == len(CORPUS) + VOLUMES
    expected = expected_extract(corpus)
    for row in rows.to_dict("records"):
        want = expected.get(row["stem"], "success").split(":", 1)[0]
        assert row["extract_status"] == want, row
    assert store.pending() == []
    # no claim held by a live run (the dead run's claims of the documents it finished stay, stale)
    assert Claims(layout.store_dir, "extract", RunOwner("test", lambda run_id: instance.get_run_by_id(run_id).status
                                                         in (DagsterRunStatus.STARTED,))).active() == set()

    span = max(r.end_time for r in ours) - min(r.start_time for r in ours)
    again = instance.get_run_record_by_id(retry.run_id).start_time - killed_at
    print(f"\nnodes isolated (netns + hostname): {net.isolated}; backfill of 4 shards: {makespan:.0f} s to its end, "
          f"{span:.0f} s from the first run's start to the last run's end; "
          f"retry started {again:.0f} s after the kill; "
          f"node {NAMES[i]} killed with {len(done_before)}/{PER_SHARD * PER_RUN} documents of "
          f"{','.join(_shards_of(lost_run))} done; "
          f"its run failed {detected:.1f} s later; retry {retry.run_id[:8]} on {NAMES[survivor]}")
