"""The respawn policy: any object shaped like dagster.RetryPolicy (max_retries, delay, backoff, jitter).

The pool duck-types it so that it needs no Dagster import, and mirrors Dagster's own delay rule.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RespawnPolicy:
    max_retries: int = 5
    delay: float | None = None
    backoff: Any = None
    jitter: Any = None


def _name(enum_or_str: Any) -> str | None:
    if enum_or_str is None:
        return None
    return str(getattr(enum_or_str, "value", enum_or_str)).upper()


def respawn_delay(policy: Any, attempt: int) -> float:
    """Seconds to wait before respawn number `attempt` (1-based), as Dagster computes retry delays."""
    base = float(getattr(policy, "delay", None) or 0.0)
    backoff = _name(getattr(policy, "backoff", None))
    if backoff == "LINEAR":
        delay = base * attempt
    elif backoff == "EXPONENTIAL":
        delay = base * ((2**attempt) - 1)
    else:
        delay = base
    jitter = _name(getattr(policy, "jitter", None))
    if jitter == "FULL":
        delay = random.random() * delay
    elif jitter == "PLUS_MINUS":
        delay = max(0.0, delay + (random.random() * 2 - 1) * base)
    return delay
