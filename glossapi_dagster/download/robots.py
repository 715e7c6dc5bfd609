"""robots.txt, read once per host with protego (a maintained RFC 9309 parser), as RFC 9309 says:
a 4xx means no rules (everything allowed); a 5xx or no answer means the host is unreachable, so
nothing of it is fetched in this run (the links are left for a later one, not failed for good)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the fetch that needs them: not by every CLI command (~0.2 s)
    import aiohttp
    from protego import Protego

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: at least 500 KiB are parsed


@dataclass
class Robots:
    rules: Protego | None            # None: no rules (a 4xx, or ignore_robots)
    unreachable: str | None = None   # why nothing of the host may be fetched now
    crawl_delay: float | None = None

    def allows(self, url: str, agent: str) -> bool:
        return self.unreachable is None and (self.rules is None or self.rules.can_fetch(url, agent))


ALLOW_ALL = Robots(None)


async def fetch_robots(session: aiohttp.ClientSession, origin: str, agent: str, timeout: aiohttp.ClientTimeout,
                       ssl) -> Robots:
    import aiohttp
    from protego import Protego

    url = f"{origin}/robots.txt"
    try:
        async with session.get(url, headers={"User-Agent": agent}, timeout=timeout, ssl=ssl,
                               allow_redirects=True, max_redirects=5) as response:
            if 400 <= response.status < 500:
                return ALLOW_ALL
            if response.status >= 500 or response.status < 200 or response.status >= 300:
                return Robots(None, f"robots.txt unreachable (HTTP {response.status})")
            body = await response.content.read(MAX_ROBOTS_BYTES)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError, UnicodeError, ValueError) as exc:
        return Robots(None, f"robots.txt unreachable ({type(exc).__name__}: {exc})".rstrip(": )") + ")")
    rules = Protego.parse(body.decode("utf-8", "replace"))
    delay = rules.crawl_delay(agent)
    rate = rules.request_rate(agent)
    if rate is not None and rate.requests:
        delay = max(delay or 0.0, rate.seconds / rate.requests)
    return Robots(rules, crawl_delay=float(delay) if delay else None)
