"""The controller: one worker process per device draining one shared queue.

The queue lives here, filled once; an idle worker asks for the next batch (its previous
batch's last result is the request), so a faster device takes more. Only this controller
knows what each worker holds, which is what makes "nothing lost" checkable: a worker that
dies hands back what it had not reported, the item it was on charged one attempt.

A batch is one hand-over: batch_size items, or (batch_size None) short items together up to
batch_pages pages, so that a stream of short documents does not pay a round trip to the
controller each; a longer item, or one whose pages are not known (a page range), goes alone.
The worker reports each item as it finishes, so a batch is recorded item by item.
"""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import time
import itertools
import weakref
from collections import deque
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Callable, Iterable

from .config import PoolClosed, PoolConfig, RunStopped, Slot, WorkerSetupError  # noqa: F401  (the pool's public names)
from .failures import Failures
from .outcomes import FATAL, PROBLEMATIC, SKIPPED, SUCCESS, ItemOutcome, PoolReport, Summary
from .processes import pid_alive, run_dir, send_signal, spawn, wait_or_kill  # noqa: F401  (pid_alive: the defs' stale-run checks)
from .recycle import recycle_reason
from .worker import BATCH, BOUND, ITEM, RSS_MB, SETUP_FAILED, WorkerSpec

STOP_GRACE_S = 2.0


class WorkerPool(Failures):
    def __init__(
        self,
        task: Any,
        config: PoolConfig,
        on_batch: Callable[[list[ItemOutcome]], None] | None = None,
        on_summary: Callable[[Summary], None] | None = None,
    ):
        self.task_bytes = pickle.dumps(task)
        self.config = config
        self.on_batch = on_batch or (lambda outcomes: None)
        self.on_summary = on_summary or (lambda summary: None)
        self.slots = [Slot(d) for d in config.devices]
        self._retiring: list[subprocess.Popen] = []  # recycled workers finishing their exit
        self._closed = False
        self._tmp = run_dir()

    # -- public -------------------------------------------------------------------------
    def run(self, items: Iterable) -> PoolReport:
        self.queue: deque = deque(items)
        self.attempts: dict = {}
        self.report = PoolReport()
        self._stop: str | None = None
        self.started = time.monotonic()
        self._next_summary = self.started + self.config.summary_interval
        Path(self.config.log_dir).mkdir(parents=True, exist_ok=True)
        _LIVE.add(self)
        try:
            if self.queue:
                for slot in self.slots:
                    self._spawn(slot)
                while self._busy():
                    self._step()
            self._stop_workers()
        finally:
            self.close()
        self.report.elapsed = time.monotonic() - self.started
        self.report.respawns = {s.device.label: s.respawns for s in self.slots}
        self.report.exhausted = [s.device.label for s in self.slots if s.exhausted]
        self.report.recycles = {s.device.label: s.recycles for s in self.slots}
        self.on_summary(self.summary())
        return self.report

    def close(self) -> None:
        """Kill every worker still alive; safe to call twice, from teardown, and from another
        thread (a signal handler's) while run() is in progress: no worker starts after it."""
        self._closed = True
        _LIVE.discard(self)
        live = [(s, s.proc) for s in self.slots if s.proc is not None]  # run() may forget a slot meanwhile
        live += [(None, proc) for proc in self._retiring]
        for _, proc in live:
            send_signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for s, proc in live:
            wait_or_kill([proc], deadline)
            if s is not None and s.proc is proc:
                self._forget(s)
        self._retiring.clear()
        self._tmp.cleanup()

    def submit(self, items: Iterable, attempts: int | None = None) -> None:
        """More items while the run is in progress (from on_batch: e.g. a failed range's halves),
        at the front of the queue; `attempts` caps their tries below max_attempts."""
        items = list(items)
        for item in items:
            if attempts is not None:
                self.attempts[item] = max(0, self.config.max_attempts - attempts)
        self.queue.extendleft(reversed(items))
        self._wake_parked()

    def withdraw(self, items: Iterable) -> None:
        """Queued items taken back (from on_batch: e.g. the other ranges of a document set aside);
        one in progress finishes."""
        gone = set(items)
        kept = [item for item in self.queue if item not in gone]
        self.queue.clear()
        self.queue.extend(kept)

    def summary(self) -> Summary:
        counts = self.report.counts()
        done = len(self.report.outcomes)
        elapsed = time.monotonic() - self.started
        return Summary(
            processed=counts[SUCCESS],
            problematic=counts[PROBLEMATIC] + counts[FATAL],
            skipped=counts[SKIPPED],
            queued=len(self.queue),
            in_flight=sum(len(s.batch) - s.reported for s in self.slots if s.batch),
            live_workers=sum(1 for s in self.slots if s.bound),
            items_per_s=done / elapsed if elapsed > 0 else 0.0,
            elapsed=elapsed,
        )

    # -- the loop -----------------------------------------------------------------------
    def _busy(self) -> bool:
        if any(s.batch for s in self.slots):
            return True
        if not self.queue:
            return False
        if all(s.exhausted for s in self.slots):
            self._skip_remaining("no device left: every worker passed its respawn cap")
            return False
        return True

    def _step(self) -> None:
        now = time.monotonic()
        conns = [s.conn for s in self.slots if s.conn is not None]
        timeout = max(0.0, self._next_wakeup(now) - now)
        for conn in wait(conns, timeout) if conns else _sleep(timeout):
            self._on_message(next(s for s in self.slots if s.conn is conn))
        for slot in self.slots:
            if slot.proc is not None and slot.proc.poll() is not None:
                while slot.conn is not None and slot.conn.poll():
                    self._on_message(slot)
                if slot.proc is not None:
                    self._on_death(slot)
        self._retiring = [p for p in self._retiring if p.poll() is None]
        now = time.monotonic()
        self._enforce_timeouts(now)
        for slot in self.slots:
            if slot.respawn_at is not None and now >= slot.respawn_at and self.queue:
                slot.respawns += slot.charged  # counted when it happens (none after the last item)
                self._spawn(slot)
        if now >= self._next_summary:
            self.on_summary(self.summary())
            self._next_summary = now + self.config.summary_interval

    def _next_wakeup(self, now: float) -> float:
        wake = [self._next_summary]
        if self.queue:
            wake += [s.respawn_at for s in self.slots if s.respawn_at is not None]
        if any(s.proc is not None for s in self.slots):
            wake.append(now + 1.0)  # reap workers whose death left no EOF (a grandchild holds the socket)
        if self.config.item_timeout or self.config.timeout_of:
            for s in self.slots:
                if s.batch and s.progress is not None and s.progress[0] >= 0:
                    limit = self._limit(s)
                    if limit:
                        wake.append(s.progress[1] + limit)
                elif s.batch:
                    wake.append(now + 0.5)  # the worker has not started the item yet: look again
        return min(wake)

    def _on_message(self, slot: Slot) -> None:
        try:
            kind, payload = slot.conn.recv()
        except (EOFError, OSError):
            self._on_death(slot)
            return
        if kind == BOUND:
            slot.bound = True
            self._dispatch(slot)
        elif kind == ITEM:  # one of the batch, the worker still on the others
            self._emit(self._on_results(slot, [payload]))
        elif kind == BATCH:
            handed = len(slot.batch or ())
            outcomes = self._on_results(slot, payload)
            slot.batch = None
            if self._stop is not None:
                self._emit(outcomes)
                raise RunStopped(self._stop)
            slot.items_done += handed
            reason = recycle_reason(self.config.recycle, slot.items_done, slot.progress[RSS_MB])
            if reason and self.queue:
                self._recycle(slot, reason)  # its replacement starts now; it takes the next batch when bound
            else:
                self._dispatch(slot)  # the worker's next batch first: it must not wait for the store's fsync
            self._wake_parked()
            self._emit(outcomes)
        elif kind == SETUP_FAILED:
            raise WorkerSetupError(f"worker {slot.device.label} could not start: {payload}")

    def _dispatch(self, slot: Slot) -> None:
        if not self.queue:
            return  # park: a crash elsewhere may still requeue items
        n = self._batch_length(slot)
        slot.batch = [self.queue.popleft() for _ in range(n)]
        slot.reported = 0
        slot.progress[0] = -1
        try:
            slot.conn.send(slot.batch)
        except OSError:
            pass  # it died since its last report: its EOF hands this batch back, uncharged

    def _batch_length(self, slot: Slot) -> int:
        """How many of the queue's first items the worker gets now (at least one)."""
        config = self.config
        if config.batch_size is not None:
            return min(config.batch_size, len(self.queue))
        limit = len(self.queue)
        if config.recycle.max_rss_mb:  # memory is read between batches: one item each, as documented
            limit = 1
        if config.recycle.max_items:  # a worker due to be recycled after k more items takes k at most
            limit = min(limit, max(1, config.recycle.max_items - slot.items_done))
        pages_of = config.pages_of or (lambda item: None)
        n = total = 0
        for item in itertools.islice(self.queue, limit):
            pages = pages_of(item)
            if pages is None or total + pages > config.batch_pages:
                break
            n, total = n + 1, total + pages
        return max(1, n)

    def _wake_parked(self) -> None:
        for s in self.slots:
            if s.bound and not s.batch and self.queue:
                self._dispatch(s)

    def _on_results(self, slot: Slot, results: list) -> list[ItemOutcome]:
        """Outcomes of the batch's items (to be emitted); failed items with attempts left are requeued."""
        outcomes = []
        for item, kind, result, error, seconds in results:
            slot.reported += 1
            tries = self.attempts[item] = self.attempts.get(item, 0) + 1
            if kind == "ok":
                outcomes.append(self._outcome(slot, item, SUCCESS, result=result, seconds=seconds))
            elif kind == "stop":
                self.attempts[item] -= 1  # not the item's fault
                self.queue.appendleft(item)
                self._stop = error
            elif kind == "permanent" or tries >= self.config.max_attempts:
                outcomes.append(self._outcome(slot, item, PROBLEMATIC, error=error, seconds=seconds))
            else:
                self.queue.append(item)  # requeue at the back; another worker may take it
        return outcomes

    # -- helpers ------------------------------------------------------------------------
    def _outcome(self, slot: Slot, item, status: str, pid: int | None = None, **kw) -> ItemOutcome:
        pid = pid or (slot.proc.pid if slot.proc else None)
        return ItemOutcome(item, status, attempts=self.attempts.get(item, 1), worker=slot.device.label, pid=pid, **kw)

    def _emit(self, outcomes: list[ItemOutcome]) -> None:
        if outcomes:
            self.report.outcomes.extend(outcomes)
            self.on_batch(outcomes)

    def _spawn(self, slot: Slot) -> None:
        if self._closed:
            raise PoolClosed("the pool was closed while it ran (the run is being interrupted)")
        slot.respawn_at, slot.kill_reason, slot.bound, slot.batch = None, None, False, None
        slot.charged, slot.items_done = False, 0
        spec = WorkerSpec(
            label=slot.device.label,
            cuda_id=slot.device.cuda_id,
            threads=self.config.threads,
            log_dir=str(self.config.log_dir),
            task_bytes=self.task_bytes,
            controller_pid=os.getpid(),
            replaces=slot.replaces,
        )
        slot.proc, slot.conn, slot.progress = spawn(slot.device, self._tmp.name, spec, self.config.threads,
                                                    self.config.extra_env)
        slot.replaces = None

    def _forget(self, slot: Slot) -> None:
        if slot.conn is not None:
            slot.conn.close()
        slot.proc, slot.conn, slot.bound, slot.batch = None, None, False, None

    def _stop_workers(self) -> None:
        for s in self.slots:
            if s.conn is not None:
                try:
                    s.conn.send(None)
                except OSError:
                    pass
        deadline = time.monotonic() + 5
        for s in self.slots:
            if s.proc is not None:
                wait_or_kill([s.proc], deadline)
                self._forget(s)
        wait_or_kill(self._retiring, deadline)
        self._retiring.clear()


_LIVE: "weakref.WeakSet[WorkerPool]" = weakref.WeakSet()  # pools whose run() is in progress


def close_all() -> None:
    """Every pool of this process stops and kills its workers (an interrupted CLI, before it exits)."""
    for pool in list(_LIVE):
        pool.close()


def _sleep(seconds: float) -> list:
    time.sleep(seconds)
    return []
