"""In-process runs killed outright (SIGKILL, OOM) stay STARTED and keep their `gpu` pool slot,
which would block every later GPU run. We tag our runs with host and pid, and before a new run
mark the dead ones failed and free their slots, as the daemon's run monitoring does for runs it
launched."""
import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from ..pool.pool import pid_alive

PID_TAG, HOST_TAG = "glossapi/pid", "glossapi/host"


def run_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def release_dead_runs(instance: DagsterInstance) -> list[str]:
    live = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING]
    runs = instance.get_runs(filters=RunsFilter(statuses=live, tags={HOST_TAG: socket.gethostname()}))
    released = []
    for run in runs:
        pid = int(run.tags.get(PID_TAG, "0"))
        if pid and pid != os.getpid() and not pid_alive(pid):
            instance.report_run_failed(run, f"its process (pid {pid}) is gone; released by a later run")
            if instance.event_log_storage.supports_global_concurrency_limits:
                instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            released.append(run.run_id)
    return released
