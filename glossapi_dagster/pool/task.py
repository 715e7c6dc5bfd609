"""What the pool runs: a picklable Task whose `setup` builds a per-worker processor once."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Protocol


class PermanentError(Exception):
    """An item that can never succeed (encrypted, empty, corrupt): problematic at once, no retry."""


class StopRun(Exception):
    """Nothing can succeed until someone acts (the output disk is full, read-only): the run stops
    at once and the item stays pending, charged nothing. Never the item's fault."""


@dataclass(frozen=True)
class WorkerContext:
    """What a worker knows about itself when its task is set up."""

    label: str            # gpu0, gpu1, ... or cpu
    cuda_id: int | None   # the physical id; inside the worker the device is always cuda:0
    threads: int
    pid: int
    log: logging.Logger


Processor = Callable[[Any], dict]


class Task(Protocol):
    """Pickled once by the controller, unpickled in each worker after the environment is bound.

    `setup` runs once per worker (load models here, never per item) and returns a callable
    that takes one item and returns a small picklable dict, or raises.
    """

    def setup(self, ctx: WorkerContext) -> Processor: ...
