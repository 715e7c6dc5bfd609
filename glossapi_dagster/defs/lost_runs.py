"""lost_runs_sensor: a run whose heartbeat stopped (defs/heartbeat.py) is failed, and its pool slot
freed, within GLOSSAPI_HEARTBEAT_TIMEOUT (default 3 summary intervals) plus one look.

Why: a machine killed outright leaves its run STARTED. Run monitoring asks the run launcher, and
dagster-celery's answers from the Celery task, which stays STARTED on a dead worker; dagster-k8s
waits for Kubernetes to give up on the node's pod. Either way only max_runtime would end the
run: hours for a shard of GPU work, with the node's `gpu` slot taken. Failed as lost, the run is
retried by the daemon (`run_retries` in deploy/celery and deploy/k8s) on a live node, and the
retry does only what the shared store says is left.

A run is judged only while its pool beats: from its pool step's first beat to its end (a run still
starting, or one that left its pool step, is Dagster's to watch). Clocks of the nodes and of the
daemon must agree to well under the bound (NTP), as Dagster's own timeouts assume.
"""
import time

from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)
from dagster._core.events import JobFailureData, RunFailureReason

from ..datamodel import settings
from .heartbeat import BEATS_PER_BOUND, EVERY_TAG, NODE_TAG, bound_for, last_beat


def lost_runs(instance: DagsterInstance, now: float | None = None) -> list[tuple[DagsterRun, str]]:
    """STARTED runs whose pool beat since the run started and has been silent past its bound, each
    with the reason it is lost."""
    now = time.time() if now is None else now
    lost = []
    for record in instance.get_run_records(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED])):
        run = record.dagster_run
        beat = last_beat(run)
        # a retry carries its parent's tags: a beat from before this run's start is not this run's
        if beat is None or record.start_time is None or beat < record.start_time:
            continue
        # never fewer than BEATS_PER_BOUND of the run's own beats: a node set to beat more slowly
        # than this daemon's GLOSSAPI_HEARTBEAT_TIMEOUT assumes is not taken for lost
        every = float(run.tags.get(EVERY_TAG) or 30)
        bound, silent = max(bound_for(every), BEATS_PER_BOUND * every), now - beat
        if silent > bound:
            lost.append((run, f"no heartbeat from its node {run.tags.get(NODE_TAG, '?')} for {silent:.0f} s "
                              f"(bound {bound:.0f} s): the node is gone or cut off"))
    return lost


def fail_lost_run(instance: DagsterInstance, run: DagsterRun, reason: str) -> bool:
    """The run failed as lost (run_retries then retries it) and its pool slots freed at once (not
    free_slots_after_run_end_seconds later); True when it held any. A run that ended meanwhile is
    left as it is."""
    now = instance.get_run_by_id(run.run_id)
    if now is None or now.status != DagsterRunStatus.STARTED:
        return False
    instance.report_run_failed(now, f"Run lost: {reason}",
                               JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION))
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits and run.run_id in storage.get_concurrency_run_ids():
        storage.free_concurrency_slots_for_run(run.run_id)
        return True
    return False


@sensor(minimum_interval_seconds=settings().lost_run_poll, default_status=DefaultSensorStatus.RUNNING,
        description="Fails runs whose worker pool stopped beating (a node killed or cut off) and frees their "
                    "pool slots, so the daemon's run_retries run them again on a live node.")
def lost_runs_sensor(context: SensorEvaluationContext):
    lost = lost_runs(context.instance)
    for run, reason in lost:
        freed = fail_lost_run(context.instance, run, reason)
        context.log.warning(f"run {run.run_id} failed as lost ({reason})" + ("; its pool slot freed" if freed else ""))
    return SkipReason(f"{len(lost)} lost run(s) failed" if lost else "every beating run has a fresh heartbeat")
