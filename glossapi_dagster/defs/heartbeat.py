"""A run's heartbeat, kept where every node and the daemon see it: tags on the run in the Dagster
instance, written every `summary_interval` (or a third of GLOSSAPI_HEARTBEAT_TIMEOUT, when that is
shorter) by a thread of the step that drives the worker pool, from the step's start to its end.
A thread, so that a controller busy for a while (starting its workers, writing a big batch to the
store) still beats: what must stop the heartbeat is the loss of the process or of its machine.
lost_runs_sensor (defs/lost_runs.py) fails a run whose heartbeat stopped: its machine died or lost
the instance, where Dagster alone would wait for max_runtime. A controller that learns it was
declared lost (its run failed while it still runs), or that could not beat for as long as the
sensor waits, stops at its next pool summary: its shards go to the retry, never to two runs at once.
"""
from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timezone

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

from ..datamodel import settings
from ..state.claims import RunOwner

HEARTBEAT_TAG = "glossapi/heartbeat"        # UTC time of the last beat (ISO 8601); "ended ..." after the step
EVERY_TAG = "glossapi/heartbeat_every"      # seconds between two beats (beat_every)
NODE_TAG = "glossapi/node"                  # the machine (hostname) whose pool runs the run's shards
BEATS_PER_BOUND = 3                         # beats a run may miss before it is lost (GLOSSAPI_HEARTBEAT_TIMEOUT)
# a run in these states may still beat: CANCELING is a terminate on its way, not a lost run
STILL_MINE = (DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING)


class RunLost(RuntimeError):
    """The run was declared lost (failed for want of a heartbeat) while its controller still ran."""


def bound_for(every: float) -> float:
    """Seconds without a beat after which a run beating every `every` seconds is lost."""
    return settings().heartbeat_timeout or BEATS_PER_BOUND * every


def beat_every(summary_interval: float) -> float:
    """A beat every summary interval, and at least BEATS_PER_BOUND within a shorter bound."""
    return min(summary_interval, bound_for(summary_interval) / BEATS_PER_BOUND)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds")


def last_beat(run: DagsterRun) -> float | None:
    """The run's last beat (epoch seconds), or None: it has not beaten, or its step has ended."""
    value = run.tags.get(HEARTBEAT_TAG, "")
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


class Heartbeat:
    """`with Heartbeat(...) as hb:` beats every `every` seconds until the block ends; `hb.check()`
    (from the pool's summaries) raises RunLost once the run was declared lost."""

    def __init__(self, instance: DagsterInstance, run_id: str, summary_interval: float, log=None):
        self.instance, self.run_id, self.log = instance, run_id, log
        self.every = beat_every(float(summary_interval))
        self.bound = bound_for(self.every)
        self.last_ok = time.time()
        self.lost: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{run_id[:8]}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        try:  # a silence from now on is not a lost run
            self.instance.add_run_tags(self.run_id, {HEARTBEAT_TAG: f"ended {_iso(time.time())}"})
        except Exception:  # the run ends anyway; the sensor judges only ISO times
            pass

    def check(self) -> None:
        if self.lost:
            raise RunLost(self.lost)

    def _loop(self) -> None:
        while not self._stop.wait(self.every) and not self.lost:
            self.beat()

    def beat(self) -> None:
        now = time.time()
        try:
            run = self.instance.get_run_by_id(self.run_id)
            if run is not None and run.status not in STILL_MINE:
                self.lost = (f"run {self.run_id} is {run.status.value} (failed as lost: no heartbeat seen for "
                             f"{self.bound:.0f} s); this controller stops so its shards never run twice at once")
                return
            self.instance.add_run_tags(self.run_id, {HEARTBEAT_TAG: _iso(now), EVERY_TAG: f"{self.every:g}",
                                                     NODE_TAG: socket.gethostname()})
            self.last_ok = now
        except Exception as exc:  # the instance out of reach: fine for a moment, not for the bound
            if now - self.last_ok > self.bound:
                self.lost = (f"no heartbeat written for {now - self.last_ok:.0f} s (bound {self.bound:.0f} s): "
                             f"the run counts as lost, so this controller stops ({exc})")
            elif self.log is not None:
                self.log.warning(f"heartbeat not written ({exc}); trying again in {self.every:g} s")


def run_owner(context) -> RunOwner:
    """The step's run as the owner of its claims (state/claims.py): a claim made on another
    machine is given up once its run no longer runs (failed as lost, or ended)."""
    instance = context.instance

    def alive(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id)
        return run is not None and run.status in STILL_MINE

    return RunOwner(context.run.run_id, alive)
