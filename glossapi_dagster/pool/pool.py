"""The controller: one worker process per device draining one shared queue.

The queue lives here, filled once; an idle worker asks for the next batch (its previous
batch's results are the request), so a faster device takes more. Only this controller
knows what each worker holds, which is what makes "nothing lost" checkable: a worker that
dies hands its batch back, the item it was on charged one attempt.
"""
from __future__ import annotations

import ctypes
import mmap
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Callable, Iterable

from .devices import Device
from .outcomes import FATAL, PROBLEMATIC, SKIPPED, SUCCESS, ItemOutcome, PoolReport, Summary
from .respawn import RespawnPolicy, respawn_delay
from .recycle import RecyclePolicy, recycle_reason
from .worker import BATCH, BOUND, PROGRESS_BYTES, RSS_MB, SETUP_FAILED, WorkerSpec
from .worklog import marker_path, write_marker

STOP_GRACE_S = 2.0


class WorkerSetupError(RuntimeError):
    """A worker could not build its processor (e.g. model weights missing): the run cannot go on."""


class PoolClosed(RuntimeError):
    """close() was called (from another thread) during run()."""


class RunStopped(RuntimeError):
    """A worker's task raised StopRun: the items not reported stay for the next run."""


@dataclass
class PoolConfig:
    devices: list[Device]
    threads: int = 1
    log_dir: Path = Path("logs/extract_workers")
    batch_size: int = 1
    max_attempts: int = 2
    item_timeout: float | None = None
    summary_interval: float = 30.0
    respawn: Any = field(default_factory=RespawnPolicy)  # dagster.RetryPolicy or alike
    extra_env: dict[str, str] = field(default_factory=dict)
    timeout_of: Callable[[Any], float | None] | None = None  # an item's own limit (e.g. by its pages)
    recycle: RecyclePolicy = field(default_factory=RecyclePolicy)
    range_startup: float = 120.0  # seconds a page range may take beyond its pages' (timeout_of's start-up allowance)


@dataclass
class _Slot:
    device: Device
    proc: subprocess.Popen | None = None
    conn: Connection | None = None
    progress: Any = None              # ctypes double[2] over a shared mmap
    batch: list | None = None
    bound: bool = False
    respawns: int = 0
    respawn_at: float | None = None
    charged: bool = False             # the pending respawn counts against the respawn cap
    exhausted: bool = False
    kill_reason: str | None = None
    items_done: int = 0               # by the current process: what recycling counts
    recycles: int = 0
    replaces: str | None = None       # the next worker's banner says whom it replaces, and why

    @property
    def live(self) -> bool:
        return self.proc is not None


class WorkerPool:
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
        self.slots = [_Slot(d) for d in config.devices]
        self._retiring: list[subprocess.Popen] = []  # recycled workers finishing their exit
        self._closed = False
        _remove_stale_run_dirs()
        self._tmp = tempfile.TemporaryDirectory(prefix=f"{RUN_DIR_PREFIX}{os.getpid()}-")

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
            _signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for s, proc in live:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL)
                proc.wait()
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
            in_flight=sum(len(s.batch) for s in self.slots if s.batch),
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

    def _on_message(self, slot: _Slot) -> None:
        try:
            kind, payload = slot.conn.recv()
        except (EOFError, OSError):
            self._on_death(slot)
            return
        if kind == BOUND:
            slot.bound = True
            self._dispatch(slot)
        elif kind == BATCH:
            outcomes = self._on_results(slot, payload)
            if self._stop is not None:
                self._emit(outcomes)
                raise RunStopped(self._stop)
            slot.items_done += len(payload)
            reason = recycle_reason(self.config.recycle, slot.items_done, slot.progress[RSS_MB])
            if reason and self.queue:
                self._recycle(slot, reason)  # its replacement starts now; it takes the next batch when bound
            else:
                self._dispatch(slot)  # the worker's next batch first: it must not wait for the store's fsync
            self._wake_parked()
            self._emit(outcomes)
        elif kind == SETUP_FAILED:
            raise WorkerSetupError(f"worker {slot.device.label} could not start: {payload}")

    def _dispatch(self, slot: _Slot) -> None:
        if not self.queue:
            return  # park: a crash elsewhere may still requeue items
        n = min(self.config.batch_size, len(self.queue))
        slot.batch = [self.queue.popleft() for _ in range(n)]
        slot.progress[0] = -1
        try:
            slot.conn.send(slot.batch)
        except OSError:
            pass  # it died since its last report: its EOF hands this batch back, uncharged

    def _wake_parked(self) -> None:
        for s in self.slots:
            if s.bound and not s.batch and self.queue:
                self._dispatch(s)

    def _on_results(self, slot: _Slot, results: list) -> list[ItemOutcome]:
        """The batch's outcomes (to be emitted); failed items with attempts left are requeued."""
        slot.batch = None
        outcomes = []
        for item, kind, result, error, seconds in results:
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

    # -- failures -----------------------------------------------------------------------
    def _limit(self, slot: _Slot) -> float | None:
        """The time the item in progress may take: its own (timeout_of), else item_timeout."""
        if self.config.timeout_of is not None:
            index = int(slot.progress[0])
            if 0 <= index < len(slot.batch):
                own = self.config.timeout_of(slot.batch[index])
                if own:
                    return own
        return self.config.item_timeout

    def _recycle(self, slot: _Slot, reason: str) -> None:
        """Retire a worker between items (not a crash: no respawn charged) and start its replacement
        at once, so the device waits for one start-up at most."""
        old = slot.proc
        try:
            slot.conn.send(f"recycled: {reason}")  # it leaves after closing its processor
        except OSError:
            pass
        slot.conn.close()
        slot.proc, slot.conn, slot.bound, slot.batch = None, None, False, None
        self._retiring.append(old)
        slot.recycles += 1
        slot.replaces = f"pid {old.pid} ({reason})"
        self._spawn(slot)
        # until the replacement is bound (its setup done), its marker says why the device has no items
        _try_write_marker(marker_path(Path(self.config.log_dir), slot.device.label),
                          [f"recycling: pid {old.pid} retired ({reason}); pid {slot.proc.pid} starting"])

    def _enforce_timeouts(self, now: float) -> None:
        if not self.config.item_timeout and not self.config.timeout_of:
            return
        for s in self.slots:
            if not (s.batch and s.progress[0] >= 0):
                continue
            limit = self._limit(s)
            if limit and now - s.progress[1] > limit:
                s.kill_reason = f"timeout: no result after {limit:g}s"
                _signal(s.proc, signal.SIGKILL)
                s.proc.wait()
                self._on_death(s)

    def _on_death(self, slot: _Slot) -> None:
        """Hand the batch back: the item in progress is charged an attempt, the rest go back free."""
        code = slot.proc.wait() if slot.proc else None
        reason = slot.kill_reason or f"worker {slot.device.label} died (exit code {code})"
        timed_out = slot.kill_reason is not None
        batch, index = slot.batch or [], int(slot.progress[0]) if slot.progress is not None else -1
        pid = slot.proc.pid if slot.proc else None
        self._forget(slot)
        _try_write_marker(marker_path(Path(self.config.log_dir), slot.device.label), [])  # its items are handled
        culprit = batch[index] if 0 <= index < len(batch) else None
        self.queue.extend(i for i in batch if i != culprit)
        if not timed_out:
            cap = int(getattr(self.config.respawn, "max_retries", 0) or 0)
            if slot.respawns >= cap:
                slot.exhausted = True
            else:
                slot.respawn_at = time.monotonic() + respawn_delay(self.config.respawn, slot.respawns + 1)
                slot.charged = True
        else:
            slot.respawn_at = time.monotonic()  # a timeout is the item's fault, not the device's
        if culprit is not None:
            tries = self.attempts[culprit] = self.attempts.get(culprit, 0) + 1
            if slot.exhausted:
                error = f"{reason}; device {slot.device.label} passed its respawn cap"
                self._emit([self._outcome(slot, culprit, FATAL, error=error, pid=pid)])
            elif tries >= self.config.max_attempts:
                self._emit([self._outcome(slot, culprit, PROBLEMATIC, error=reason, pid=pid)])
            else:
                self.queue.append(culprit)
        self._wake_parked()  # an idle worker may be the only one left to take the handed-back items

    def _skip_remaining(self, reason: str) -> None:
        skipped = [ItemOutcome(i, SKIPPED, error=reason, attempts=self.attempts.get(i, 0)) for i in self.queue]
        self.queue.clear()
        self._emit(skipped)

    # -- helpers ------------------------------------------------------------------------
    def _outcome(self, slot: _Slot, item, status: str, pid: int | None = None, **kw) -> ItemOutcome:
        pid = pid or (slot.proc.pid if slot.proc else None)
        return ItemOutcome(item, status, attempts=self.attempts.get(item, 1), worker=slot.device.label, pid=pid, **kw)

    def _emit(self, outcomes: list[ItemOutcome]) -> None:
        if outcomes:
            self.report.outcomes.extend(outcomes)
            self.on_batch(outcomes)

    def _spawn(self, slot: _Slot) -> None:
        if self._closed:
            raise PoolClosed("the pool was closed while it ran (the run is being interrupted)")
        slot.respawn_at, slot.kill_reason, slot.bound, slot.batch = None, None, False, None
        slot.charged, slot.items_done = False, 0
        parent, child = socket.socketpair()
        progress_file = Path(self._tmp.name) / f"{slot.device.label}.progress"
        progress_file.write_bytes(b"\0" * PROGRESS_BYTES)
        with open(progress_file, "r+b") as f:
            shared = mmap.mmap(f.fileno(), PROGRESS_BYTES)
        slot.progress = (ctypes.c_double * (PROGRESS_BYTES // 8)).from_buffer(shared)
        slot.progress[0] = -1
        env = self._worker_env(slot.device)
        slot.proc = subprocess.Popen(
            [sys.executable, "-m", "glossapi_dagster.pool.worker_main", str(child.fileno()), str(progress_file)],
            env=env,
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        child.close()
        slot.conn = Connection(parent.detach())
        spec = WorkerSpec(
            label=slot.device.label,
            cuda_id=slot.device.cuda_id,
            threads=self.config.threads,
            log_dir=str(self.config.log_dir),
            task_bytes=self.task_bytes,
            controller_pid=os.getpid(),
            replaces=slot.replaces,
        )
        slot.replaces = None
        slot.conn.send(spec)

    def _worker_env(self, device: Device) -> dict[str, str]:
        """Bound before the interpreter starts, so no import in the worker can beat it."""
        env = dict(os.environ)
        threads = str(self.config.threads)
        env.update(
            CUDA_VISIBLE_DEVICES=device.cuda_visible_devices,
            OMP_NUM_THREADS=threads,
            MKL_NUM_THREADS=threads,
            OPENBLAS_NUM_THREADS=threads,
            PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.config.extra_env)
        return env

    def _forget(self, slot: _Slot) -> None:
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
                try:
                    s.proc.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _signal(s.proc, signal.SIGKILL)
                    s.proc.wait()
                self._forget(s)
        for proc in self._retiring:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL)
                proc.wait()
        self._retiring.clear()


_LIVE: "weakref.WeakSet[WorkerPool]" = weakref.WeakSet()  # pools whose run() is in progress


def close_all() -> None:
    """Every pool of this process stops and kills its workers (an interrupted CLI, before it exits)."""
    for pool in list(_LIVE):
        pool.close()


RUN_DIR_PREFIX = "glossapi-pool-"  # + controller pid: a folder whose controller is gone is stale


def _remove_stale_run_dirs() -> None:
    """Run-time folders of controllers killed outright (SIGKILL skips every cleanup), as stale
    pool slots are released at the next start. A name without a pid (older versions) is left."""
    import shutil

    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{RUN_DIR_PREFIX}*-*"):
        pid = folder.name[len(RUN_DIR_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def pid_alive(pid: int) -> bool:
    """Is a process with this pid running (or one we may not signal)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal(proc: subprocess.Popen, sig: int) -> None:
    try:
        proc.send_signal(sig)
    except (ProcessLookupError, OSError):
        pass


def _sleep(seconds: float) -> list:
    time.sleep(seconds)
    return []


def _try_write_marker(path: Path, lines: list) -> None:
    """Markers are for people reading the logs: a full disk must not stop the pool over one."""
    try:
        write_marker(path, lines)
    except OSError:
        pass
