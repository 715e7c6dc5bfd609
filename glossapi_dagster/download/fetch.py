"""One attempt at one link: redirects followed by hand (bounded, a loop caught), the body streamed
into a temporary file under OUT with its sha256 taken on the way and a size limit, fsync'ed; the
kind told from the bytes. What the attempt gives back says whether to keep the file, try again
(a transient cause), or give up (a final one)."""
from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Awaitable, Callable

if TYPE_CHECKING:  # imported by a fetch, not by every CLI command that loads the definitions (~0.2 s)
    import aiohttp
    from yarl import URL

from ..state.filetype import HEAD_BYTES, sniff_file, sniff_head
from .robots import Robots

OK, TRANSIENT, FINAL = "ok", "transient", "final"
CHUNK = 1 << 16
REDIRECTS = (301, 302, 303, 307, 308)
# GlossAPI's order of evidence for a file's kind: the URL, then Content-Disposition, then Content-Type
EXT_KIND = {"pdf": "pdf", "docx": "docx", "pptx": "pptx", "html": "html", "htm": "html", "xhtml": "html",
            "xml": "xml", "md": "md", "markdown": "md"}
TYPE_KIND = {"application/pdf": "pdf", "application/x-pdf": "pdf",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
             "text/html": "html", "application/xhtml+xml": "html", "application/xml": "xml", "text/xml": "xml",
             "text/markdown": "md", "text/x-markdown": "md"}
# kinds a server promises that a page of markup can never be: markup in their place is an error or
# login page answered with 200, not the document
BINARY_KINDS = ("pdf", "docx", "pptx")


@dataclass
class Attempt:
    outcome: str                        # ok | transient | final
    reason: str | None = None
    retry_after: float | None = None    # seconds a 429/503 asked the whole host to wait
    throttled: bool = False             # a 429: the host, not the link, is the cause
    host_down: bool = False             # nothing of the host can be fetched this run (robots.txt unreachable)
    requests: int = 0                   # made in this attempt (redirect hops included)
    http_status: int | None = None
    content_type: str | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    tmp: Path | None = None             # the complete file, fsync'ed, not yet in place
    bytes: int = 0
    sha256: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class FetchSettings:
    agent: str
    timeout: aiohttp.ClientTimeout
    max_redirects: int
    max_bytes: int | None
    formats: tuple[str, ...]
    ssl: object                         # None (verify) or False (ssl_insecure)
    read_timeout: float
    total_timeout: float | None


RobotsOf = Callable[[str], Awaitable[Robots]]


async def attempt(session: aiohttp.ClientSession, url: str, tmp: Path, settings: FetchSettings,
                  robots_of: RobotsOf, referer: str | None = None) -> Attempt:
    """Fetch `url` into `tmp`. On any outcome but ok, no file is left behind."""
    import aiohttp
    from yarl import URL

    result = Attempt(TRANSIENT)
    try:
        await _attempt(session, URL(url, encoded=False), tmp, settings, robots_of, referer, result)
    except asyncio.CancelledError:
        tmp.unlink(missing_ok=True)
        raise
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        result.outcome, result.reason = _failure(exc, settings, tmp)
    if result.outcome != OK:
        tmp.unlink(missing_ok=True)
    return result


async def _attempt(session, url: URL, tmp: Path, settings: FetchSettings, robots_of: RobotsOf,
                   referer: str | None, result: Attempt) -> Attempt:
    from yarl import URL

    seen = {str(url)}
    headers = {"User-Agent": settings.agent, **({"Referer": referer} if referer else {})}
    for _ in range(settings.max_redirects + 1):
        robots = await robots_of(str(url.origin()))
        if robots.unreachable:
            result.host_down = True
            return _done(result, TRANSIENT, f"{robots.unreachable}: nothing of {url.origin()} is fetched this run")
        if not robots.allows(str(url), settings.agent):
            return _done(result, FINAL, f"disallowed by {url.origin()}/robots.txt")
        result.requests += 1
        async with session.get(url, headers=headers, allow_redirects=False, timeout=settings.timeout,
                               ssl=settings.ssl) as response:
            result.http_status, result.final_url = response.status, str(url)
            if response.status in REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    return _done(result, FINAL, f"HTTP {response.status} redirect without a Location")
                target = url.join(URL(location))
                if target.scheme not in ("http", "https"):
                    return _done(result, FINAL, f"redirect to a non-http URL {str(target)[:200]}")
                if str(target) in seen:
                    return _done(result, FINAL, f"redirect loop: {str(target)[:200]} again after {len(seen)} hops")
                seen.add(str(target))
                url = target
                continue
            return await _answer(response, result, tmp, settings, str(url))
    return _done(result, FINAL, f"more than max_redirects={settings.max_redirects} redirects")


async def _answer(response: aiohttp.ClientResponse, result: Attempt, tmp: Path, settings: FetchSettings,
                  url: str) -> Attempt:
    status = response.status
    result.content_type = response.headers.get("Content-Type")
    if status in (429, 503):
        result.retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        result.throttled = status == 429
        return _done(result, TRANSIENT, f"HTTP {status} {response.reason or ''}".rstrip())
    if status == 408 or status >= 500:
        return _done(result, TRANSIENT, f"HTTP {status} {response.reason or ''}".rstrip())
    if not 200 <= status < 300:  # 4xx (but 408, 429): the link itself is wrong, trying again will not help
        return _done(result, FINAL, f"HTTP {status} {response.reason or ''}".rstrip())
    length = response.content_length
    if settings.max_bytes and length and length > settings.max_bytes:
        return _done(result, FINAL, f"too large: Content-Length {length} bytes > max_bytes={settings.max_bytes}")
    result.etag, result.last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    digest, size, head = hashlib.sha256(), 0, b""
    with open(tmp, "wb") as f:
        async for chunk in response.content.iter_chunked(CHUNK):
            size += len(chunk)
            if settings.max_bytes and size > settings.max_bytes:
                return _done(result, FINAL, f"too large: more than max_bytes={settings.max_bytes} bytes")
            digest.update(chunk)
            f.write(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[:HEAD_BYTES - len(head)]
        f.flush()
        await asyncio.to_thread(os.fsync, f.fileno())  # durable before it is renamed into place
    result.bytes, result.sha256, result.tmp = size, digest.hexdigest(), tmp
    return _judge(result, response, url, settings, head)


def _judge(result: Attempt, response: aiohttp.ClientResponse, url: str, settings: FetchSettings,
           head: bytes) -> Attempt:
    """The kind from the bytes (state/filetype.py), the name and headers only breaking ties; a page
    of markup where a binary document was promised is that promise broken (a login or error page)."""
    from yarl import URL

    evidence = [("the URL", EXT_KIND.get(_ext(URL(url).path))),
                ("Content-Disposition", EXT_KIND.get(_ext(_disposition_name(response)))),
                ("Content-Type", TYPE_KIND.get((result.content_type or "").split(";")[0].strip().lower()))]
    promised = next(((where, kind) for where, kind in evidence if kind), (None, None))
    # the head kept while streaming tells all but a ZIP, whose central directory is at its end
    found = sniff_file(result.tmp, promised[1]) if head.startswith(b"PK\x03\x04") else sniff_head(head, promised[1])
    if not found.accepted:
        return _done(result, FINAL, f"not a document: {found.reason}")
    result.kind = found.kind
    if promised[1] in BINARY_KINDS and found.kind in ("html", "xml", "md"):
        page = "an HTML page" if found.kind == "html" else f"a {found.kind.upper()} text"
        return _done(result, FINAL, f"{page} where {promised[0]} promised a {promised[1].upper()} "
                                    f"(an error or login page?)")
    if found.kind not in settings.formats:
        return _done(result, FINAL, f"a {found.kind} file, not among supported_formats "
                                    f"({', '.join(settings.formats)})")
    result.outcome = OK
    return result


def _done(result: Attempt, outcome: str, reason: str) -> Attempt:
    result.outcome, result.reason = outcome, reason
    return result


def _ext(name: str | None) -> str:
    name = (name or "").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _disposition_name(response: aiohttp.ClientResponse) -> str | None:
    try:
        disposition = response.content_disposition
    except (ValueError, UnicodeError):  # a malformed header is no evidence
        return None
    return disposition.filename if disposition is not None else None


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        import time

        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _failure(exc: BaseException, settings: FetchSettings, tmp: Path) -> tuple[str, str]:
    """An exception of the transport as (outcome, reason): the network's faults are transient (the
    next attempt, or run, may succeed); a bad certificate or URL is final."""
    import aiohttp

    got = f" after {tmp.stat().st_size} bytes" if tmp.exists() else ""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TRANSIENT, f"connect timeout ({exc})"
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return TRANSIENT, f"read timeout: no byte for {settings.read_timeout:g} s{got}"
    if isinstance(exc, asyncio.TimeoutError):
        return TRANSIENT, f"timeout: the download took over {settings.total_timeout or 0:g} s{got}"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return TRANSIENT, f"connection broken mid-body{got} ({exc})"
    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
        return FINAL, f"TLS error ({exc}); ssl_insecure=True skips the check"
    if isinstance(exc, aiohttp.InvalidURL):
        return FINAL, f"invalid URL ({exc})"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return TRANSIENT, f"server disconnected{got}"
    return TRANSIENT, f"{type(exc).__name__}: {exc}{got}"[:500]
