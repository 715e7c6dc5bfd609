"""A backfill across Celery nodes (issue 27): its makespan on 1 node and on 2 nodes, and the time
from a node's death to its shard running again on the other node.

    .venv/bin/python benchmarks/bench_nodes.py [--bound 10] [--poll 5] [--parts makespan,death] [--json OUT.json]

Both parts run the real deployment of deploy/celery (PostgreSQL, redis-server, the daemon, nodes
from scripts/node.sh with CPU workers, each node in its own network namespace when run as root),
as glossapi_dagster_tests/test_many_nodes.py does; nothing is committed.

* makespan: the test corpus's 21 PDFs (glossapi_dagster_tests/corpus/pdfs) in 4 shards of 6,
  an asset backfill with one run per shard (GLOSSAPI_SHARDS_PER_RUN=1), on a cluster of 1 node,
  then of 2 nodes (GLOSSAPI_DEVICES 0 and 1, one worker each). Figures: from the first run's start
  to the last run's end, from the launch to the backfill's COMPLETED_SUCCESS (the daemon looks at
  backfills every 30 s), and the pools' own seconds (the `seconds` of each run's materialization)
  beside them: the rest is Dagster's (run and step processes, the asset checks). On one machine the
  nodes share its cores: a scheduling check (do runs go to both nodes at once?), not a speed-up.
* node death: 6 volumes of 150 pages (corpus pages) in one shard, on 2 nodes; the node that took
  the run is killed -9 (its process group) once the first volume is done. Figures: from the kill
  to the run failed by lost_runs_sensor (GLOSSAPI_HEARTBEAT_TIMEOUT=--bound, GLOSSAPI_LOST_RUN_POLL=
  --poll), to the retry's start on the other node, and to the retry's pool beating again; against
  max_runtime alone: the run would stay STARTED until max_runtime_seconds (none in deploy/celery;
  hours for a shard of GPU work).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

import backfill  # noqa: E402
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus  # noqa: E402

from glossapi_dagster.defs.heartbeat import NODE_TAG, last_beat  # noqa: E402
from glossapi_dagster.state import OutputLayout, ProgressStore  # noqa: E402
from glossapi_dagster_tests.cluster import celery_cluster  # noqa: E402
from glossapi_dagster_tests.long_pdf import build_pdf  # noqa: E402

CORPUS = REPO / "glossapi_dagster_tests" / "corpus" / "pdfs"
INSTANCE_VARS = ("DAGSTER_HOME", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_HOST", "DAGSTER_PG_DB",
                 "DAGSTER_PG_PORT", "DAGSTER_CELERY_BROKER_URL", "DAGSTER_CELERY_BACKEND_URL")


def _instance(cluster) -> DagsterInstance:
    for key in INSTANCE_VARS:
        os.environ[key] = cluster.env[key]
    return DagsterInstance.get()


def _wait(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(interval)
    return value


def makespan(tmp: Path, nodes: int, settings: dict) -> dict:
    input_dir = tmp / "in"
    shutil.copytree(CORPUS, input_dir)
    names = [f"i27-bench-{chr(97 + i)}" for i in range(nodes)]
    with celery_cluster(tmp, input_dir, names, {**settings, "GLOSSAPI_SHARDS_PER_RUN": "1"}, 6) as cluster, \
            _instance(cluster) as instance:
        launched = time.time()
        backfill_id = backfill.launch("extracted_docs", None, env=cluster.env)
        _wait(lambda: instance.get_backfill(backfill_id).status.value != "REQUESTED", 1800, "backfill", 1.0)
        ended = time.time()
        status = instance.get_backfill(backfill_id).status.value
        records = [r for r in instance.get_run_records() if r.dagster_run.tags.get("dagster/backfill") == backfill_id]
        pool = 0.0
        for record in records:
            mats = instance.all_logs(record.dagster_run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
            seconds = [e.asset_materialization.metadata["seconds"].value for e in mats
                       if "seconds" in e.asset_materialization.metadata]
            pool += max(seconds, default=0.0)
        return {"nodes": nodes, "status": status, "runs": len(records),
                "runs_per_node": {n: sum(r.dagster_run.tags.get(NODE_TAG) == n for r in records) for n in names},
                "first_start_to_last_end_s": round(max(r.end_time for r in records) - min(r.start_time for r in records), 1),
                "launch_to_backfill_end_s": round(ended - launched, 1), "pool_seconds_sum": round(pool, 1)}


def node_death(tmp: Path, settings: dict) -> dict:
    input_dir = tmp / "in"
    for i in range(6):
        build_pdf(CORPUS, ["FEK_A_5_-_17.01.2018.pdf"], 150 + i, input_dir / f"volume-{i}.pdf")
    names = ["i27-bench-a", "i27-bench-b"]
    with celery_cluster(tmp, input_dir, names, {**settings, "GLOSSAPI_SHARDS_PER_RUN": "1"}, 6) as cluster, \
            _instance(cluster) as instance:
        store = ProgressStore(OutputLayout(cluster.out).store_dir)
        backfill.launch("extracted_docs", None, env=cluster.env)

        def working():
            runs = [r for r in instance.get_runs() if r.status == DagsterRunStatus.STARTED and r.tags.get(NODE_TAG)]
            done = store.read(["extract_status"]) if runs else None
            return runs[0] if runs and "extract_status" in done and done["extract_status"].notna().any() else None

        run = _wait(working, 600, "a node working on the shard")
        victim = names.index(run.tags[NODE_TAG])
        cluster.nodes[victim].kill()
        killed = time.time()
        failed = _wait(lambda: instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE), 600, "failed")
        retry = _wait(lambda: next((r for r in instance.get_runs() if r.parent_run_id == run.run_id), None), 600, "retry")
        started = _wait(lambda: instance.get_run_record_by_id(retry.run_id).start_time, 600, "retry started")
        # its own beat: a retry carries its parent's last one in its tags until it beats
        beating = _wait(lambda: (b := last_beat(instance.get_run_by_id(retry.run_id))) and b >= started and b,
                        600, "retry beating")
        _wait(lambda: instance.get_run_by_id(retry.run_id).is_finished, 600, "retry finished", 1.0)
        final = instance.get_run_by_id(retry.run_id)
        return {"killed_node": names[victim], "retry_node": final.tags.get(NODE_TAG), "retry_status": final.status.value,
                "kill_to_failed_s": round(failed[0].timestamp - killed, 1),
                "kill_to_retry_started_s": round(started - killed, 1),
                "kill_to_retry_pool_beating_s": round(beating - killed, 1),
                "max_runtime_alone": "never (no max_runtime_seconds in deploy/celery); else max_runtime_seconds"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bound", type=int, default=10, help="GLOSSAPI_HEARTBEAT_TIMEOUT, seconds")
    parser.add_argument("--poll", type=int, default=5, help="GLOSSAPI_LOST_RUN_POLL, seconds")
    parser.add_argument("--parts", default="makespan,death", help="which parts to run")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    settings = {"GLOSSAPI_HEARTBEAT_TIMEOUT": str(args.bound), "GLOSSAPI_LOST_RUN_POLL": str(args.poll)}
    load = os.getloadavg()
    figures = {"load_before": [round(x, 2) for x in load], "cpus": os.cpu_count(), "bound_s": args.bound,
               "poll_s": args.poll, "makespan": [], "node_death": None}
    parts = args.parts.split(",")
    for nodes in (1, 2) if "makespan" in parts else ():
        with tempfile.TemporaryDirectory(prefix="i27bench") as tmp:
            figures["makespan"].append(makespan(Path(tmp), nodes, settings))
            print(json.dumps(figures["makespan"][-1]), flush=True)
    if "death" in parts:
        with tempfile.TemporaryDirectory(prefix="i27bench") as tmp:
            figures["node_death"] = node_death(Path(tmp), settings)
            print(json.dumps(figures["node_death"]), flush=True)
    figures["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(figures, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    subprocess.run(["uptime"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
