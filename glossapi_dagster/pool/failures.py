"""What the pool does when a worker cannot go on: its item timed out, it died, it is recycled
(retired between items), or no device is left. Each hands the worker's batch back so nothing is
lost: the item in progress is charged an attempt, the rest go back free. A part of WorkerPool
(pool.py), which holds the queue, the attempts and the slots these methods read."""
from __future__ import annotations

import time
from pathlib import Path

from .config import Slot
from .outcomes import FATAL, PROBLEMATIC, SKIPPED, ItemOutcome
from .processes import kill
from .respawn import respawn_delay
from .worker import BATCH, ITEM
from .worklog import marker_path, write_marker


class Failures:
    """WorkerPool's handling of a worker that cannot go on (a mixin: the pool's state is its own)."""

    def _limit(self, slot: Slot) -> float | None:
        """The time the item in progress may take: its own (timeout_of), else item_timeout."""
        if self.config.timeout_of is not None:
            index = int(slot.progress[0])
            if 0 <= index < len(slot.batch):
                own = self.config.timeout_of(slot.batch[index])
                if own:
                    return own
        return self.config.item_timeout

    def _recycle(self, slot: Slot, reason: str) -> None:
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
                kill(s.proc)
                self._on_death(s)

    def _on_death(self, slot: Slot) -> None:
        """Hand the batch's unreported items back: the item in progress is charged an attempt, the rest
        go back free."""
        code = slot.proc.wait() if slot.proc else None
        self._take_last_reports(slot)
        reason = slot.kill_reason or f"worker {slot.device.label} died (exit code {code})"
        timed_out = slot.kill_reason is not None
        # what it had not reported yet: the items before were recorded as their results came
        batch = (slot.batch or [])[slot.reported:]
        index = int(slot.progress[0]) - slot.reported if slot.progress is not None else -1
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

    def _take_last_reports(self, slot: Slot) -> None:
        """Results the dead worker sent before it died, still in the pipe (a timeout kills without
        reading them): recorded now, so that the item in progress is the one charged and a finished
        one is not handed back to be converted again."""
        while slot.conn is not None:
            try:
                if not slot.conn.poll():
                    return
                kind, payload = slot.conn.recv()
            except (EOFError, OSError):
                return
            if kind in (ITEM, BATCH):
                self._emit(self._on_results(slot, [payload] if kind == ITEM else payload))

    def _skip_remaining(self, reason: str) -> None:
        skipped = [ItemOutcome(i, SKIPPED, error=reason, attempts=self.attempts.get(i, 0)) for i in self.queue]
        self.queue.clear()
        self._emit(skipped)


def _try_write_marker(path: Path, lines: list) -> None:
    """Markers are for people reading the logs: a full disk must not stop the pool over one."""
    try:
        write_marker(path, lines)
    except OSError:
        pass
