"""Polite and fast at once: links taken round-robin, each host within its own limits.

Every link waits in a lane (its host's, or its group's under parallelize_by); lanes take turns, so
a slow or throttled host holds back only its own links. A host never has more than
per_host_concurrency requests in flight (one, until its robots.txt is read) nor starts them faster
than per_host_rate (or robots.txt's Crawl-delay, when slower); all hosts together never more than
concurrency. A 429/503's Retry-After parks its host alone; transient failures back off
exponentially with jitter; a host asking to wait longer than max_retry_after, or whose robots.txt
cannot be read, is left for a later run.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from .fetch import OK, TRANSIENT, Attempt


@dataclass
class Item:
    stem: str
    url: str
    host: str                      # scheme://host[:port]
    group: str                     # the lane it waits in
    referer: str | None = None
    attempts: int = 0              # in this run
    requests: int = 0              # in this run
    not_before: float = 0.0        # a backing-off link waits until then


@dataclass
class HostStats:
    requests: int = 0
    downloaded: int = 0
    failed: int = 0
    bytes: int = 0
    parks: int = 0                 # times a Retry-After (or a 429) parked it
    busy_seconds: float = 0.0


@dataclass
class Host:
    origin: str
    concurrency: int
    interval: float                # seconds between two request starts
    active: int = 0
    next_start: float = 0.0
    parked_until: float = 0.0
    robots_known: bool = False
    deferred: str | None = None    # why its links are left for a later run
    waiting: list = field(default_factory=list)  # lanes waiting for one of its slots
    stats: HostStats = field(default_factory=HostStats)

    def cap(self) -> int:
        return self.concurrency if self.robots_known else 1  # the first request reads robots.txt


@dataclass
class Lane:
    key: str
    items: deque = field(default_factory=deque)
    placed: bool = False           # in the ring, asleep, or waiting on a host


@dataclass(frozen=True)
class Policy:
    concurrency: int
    per_host_concurrency: int
    per_host_rate: float | None
    max_attempts: int
    backoff: float
    max_backoff: float
    max_retry_after: float

    @classmethod
    def of(cls, options) -> "Policy":
        return cls(*(getattr(options, f) for f in cls.__dataclass_fields__))


class Scheduler:
    """Runs `work(item)` (one attempt) for every item; `settle(item, attempt)` gets each item's
    last attempt once it is done: kept, failed for good, out of attempts, or left for later."""

    def __init__(self, policy: Policy, work: Callable[[Item], Awaitable[Attempt]],
                 settle: Callable[[Item, Attempt], None], robots: bool = True,
                 clock: Callable[[], float] = time.monotonic):
        """robots: the first request to a host reads its robots.txt, so it goes alone."""
        self.policy, self.work, self.settle, self.clock, self.robots = policy, work, settle, clock, robots
        self.hosts: dict[str, Host] = {}
        self.lanes: dict[str, Lane] = {}
        self.ring: deque[Lane] = deque()
        self.sleeping: list = []
        self.tasks: set[asyncio.Task] = set()
        self._seq = itertools.count()
        self._random = random.Random()

    def host(self, origin: str) -> Host:
        if origin not in self.hosts:
            rate = self.policy.per_host_rate
            self.hosts[origin] = Host(origin, self.policy.per_host_concurrency, 1.0 / rate if rate else 0.0,
                                      robots_known=not self.robots)
        return self.hosts[origin]

    def robots_read(self, origin: str, crawl_delay: float | None) -> None:
        """robots.txt is known: the host may take its full concurrency, at its Crawl-delay if slower."""
        host = self.host(origin)
        host.robots_known = True
        if crawl_delay:
            host.interval = max(host.interval, crawl_delay)

    async def run(self, items: list[Item]) -> None:
        for item in items:
            self._queue(item)
        while self.ring or self.sleeping or self.tasks:
            now = self.clock()
            while self.sleeping and self.sleeping[0][0] <= now:
                self._place(heapq.heappop(self.sleeping)[2])
            self._dispatch(now)
            if not self.tasks and not self.ring and not self.sleeping:
                break
            timeout = max(0.0, self.sleeping[0][0] - self.clock()) if self.sleeping else None
            if self.tasks:
                done, _ = await asyncio.wait(self.tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    self.tasks.discard(task)
                    task.result()  # a bug in settle must not pass silently
            elif timeout:
                await asyncio.sleep(timeout)

    # -- lanes -------------------------------------------------------------------------
    def _queue(self, item: Item) -> None:
        self.host(item.host)
        lane = self.lanes.setdefault(item.group, Lane(item.group))
        lane.items.append(item)
        if not lane.placed:
            self._place(lane)

    def _place(self, lane: Lane) -> None:
        lane.placed = bool(lane.items)
        if lane.placed:
            self.ring.append(lane)

    def _dispatch(self, now: float) -> None:
        """Start what may start now: passes over the ring, one link a lane a pass (the turns),
        until a pass starts nothing."""
        started = True
        while started and self.ring:
            started = False
            for _ in range(len(self.ring)):
                if len(self.tasks) >= self.policy.concurrency:
                    return
                started |= self._try(self.ring.popleft(), now)

    def _try(self, lane: Lane, now: float) -> bool:
        item = lane.items[0]
        host = self.hosts[item.host]
        if host.deferred:  # nothing of this host is asked this run
            lane.items.popleft()
            self.settle(item, Attempt(TRANSIENT, host.deferred))
            self._place(lane)
            return False
        if host.active >= host.cap():
            host.waiting.append(lane)
            return False
        start = max(host.next_start, host.parked_until, item.not_before)
        if start > now:
            heapq.heappush(self.sleeping, (start, next(self._seq), lane))
            return False
        lane.items.popleft()
        host.active += 1
        host.next_start = now + host.interval
        self.tasks.add(asyncio.create_task(self._one(item, host)))
        self._place(lane)
        return True

    # -- one attempt ---------------------------------------------------------------------
    async def _one(self, item: Item, host: Host) -> None:
        started = self.clock()
        try:
            result = await self.work(item)
        finally:
            host.active -= 1
            for lane in host.waiting:
                self._place(lane)
            host.waiting.clear()
        now = self.clock()
        item.attempts += 1
        item.requests += result.requests
        host.stats.requests += result.requests
        host.stats.busy_seconds += now - started
        if result.outcome != TRANSIENT:
            self._finish(item, host, result)
            return
        if result.host_down:
            host.deferred = result.reason
            self._finish(item, host, result)
            return
        if result.retry_after is not None or result.throttled:
            wait = result.retry_after if result.retry_after is not None else self._backoff(item.attempts)
            if wait > self.policy.max_retry_after:
                host.deferred = (f"{result.reason}: the host asked to wait {wait:.0f} s (Retry-After), more than "
                                 f"max_retry_after={self.policy.max_retry_after:g}; left for a later run")
                result.reason = host.deferred
                self._finish(item, host, result)
                return
            host.parked_until = max(host.parked_until, now + wait)  # the host, not only this link
            host.stats.parks += 1
        if item.attempts >= self.policy.max_attempts:
            self._finish(item, host, result)
            return
        if result.retry_after is None:
            item.not_before = now + self._backoff(item.attempts)
        self._queue(item)

    def _finish(self, item: Item, host: Host, result: Attempt) -> None:
        if result.outcome == OK:
            host.stats.downloaded += 1
            host.stats.bytes += result.bytes
        else:
            host.stats.failed += 1
        self.settle(item, result)

    def _backoff(self, attempts: int) -> float:
        """Exponential, with jitter so that links failed together do not come back together."""
        base = min(self.policy.max_backoff, self.policy.backoff * 2 ** max(0, attempts - 1))
        return base * self._random.uniform(0.5, 1.5)
