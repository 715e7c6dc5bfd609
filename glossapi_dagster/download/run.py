"""A download run: the registered links still to fetch (of some shards), fetched politely into
OUT/downloads/<stem>.<ext>, each outcome recorded in the progress store a batch at a time.

Nothing partial ever looks like a document: a body is streamed into downloads/.partial/ and
renamed into place only once complete and fsync'ed; the folder is fsync'ed before the batch that
names the file is journaled. Killed at any moment (kill -9), a rerun removes the partial files
the dead run left, takes a file that was renamed into place but not yet recorded as it is (it is
complete), and fetches only the rest; retry counts and every column survive, being in the store.
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..state.atomic import atomic_write_text
from ..state.filetype import sniff_file
from ..state.layout import OutputLayout
from ..state.manifest import sha256_of
from ..state.pids import pid_alive
from ..state.schema import KEY
from ..state.store import ProgressStore
from .fetch import OK, Attempt, FetchSettings, attempt
from .hosts import Item, Policy, Scheduler
from .register import DOWNLOADED, DUPLICATE, FAILED, PENDING, RETRY, source_name
from .robots import ALLOW_ALL, Robots, fetch_robots

FLUSH_ROWS, FLUSH_SECONDS, PROGRESS_SECONDS = 256, 2.0, 1.0
STALE_PARTIAL_SECONDS = 24 * 3600  # another machine's partial file this old is a dead run's
# every outcome row sets the same columns, so a batch is one journal file
OUTCOME = ("download_status", "download_success", "download_error", "download_retry_count", "download_attempts",
           "is_duplicate", "duplicate_of", "filename", "file_ext", "path", "size", "bytes", "mtime", "sha256",
           "http_status", "content_type", "final_url", "etag", "last_modified", "downloaded_at", "missing")


@dataclass
class DownloadReport:
    links: int = 0                      # links this run set out to fetch
    downloaded: int = 0
    adopted: int = 0                    # complete files an interrupted run left unrecorded
    duplicates: int = 0                 # the same bytes as a file already kept
    failed: int = 0                     # for good: a final cause, or skip_failed_after runs
    to_retry: int = 0                   # failed this run, tried again by the next
    skipped: int = 0                    # failed in skip_failed_after runs already: not tried
    bytes: int = 0
    requests: int = 0
    seconds: float = 0.0
    by_reason: dict = field(default_factory=dict)   # short reason -> links
    hosts: dict = field(default_factory=dict)       # origin -> its figures
    stems: dict = field(default_factory=dict)       # status -> stems settled this run (first 200)

    def line(self) -> str:
        rate = self.links_per_second
        return (f"download: {self.downloaded} downloaded ({self.adopted} found complete), {self.duplicates} "
                f"duplicates, {self.failed} failed for good, {self.to_retry} to retry, {self.skipped} skipped; "
                f"{self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s ({rate:.1f} links/s)")

    @property
    def links_per_second(self) -> float:
        return self.links / self.seconds if self.seconds else 0.0


def download_links(out_dir, options, shards: set[str] | None = None,
                   log: Callable[[str], None] | None = None) -> DownloadReport:
    """Fetch the registered links of `shards` (all when None) that are still to do."""
    layout = OutputLayout(out_dir)
    store = ProgressStore(layout.store_dir)
    run = _Run(layout, store, options, log or (lambda line: None))
    return run.go(shards)


def shards_with_work(out_dir, skip_failed_after: int) -> list[str]:
    """The shards that hold links still to fetch (pending, or failed in fewer runs than
    skip_failed_after): what a download run over 'everything left' selects."""
    store = ProgressStore(OutputLayout(out_dir).store_dir)
    df = store.read(["url", "shard", "download_status", "download_retry_count"])
    if df.empty or "url" not in df or "download_status" not in df:
        return []
    status = df["download_status"].fillna(PENDING)
    tries = df["download_retry_count"].fillna(0).astype(int) if "download_retry_count" in df else 0
    left = df["url"].notna() & status.isin([PENDING, RETRY]) & (tries < skip_failed_after)
    return sorted(set(df.loc[left.to_numpy(dtype=bool), "shard"].dropna()))


def reason_kind(reason: str | None) -> str:
    """A failure's reason in a few words, to count them by (the row keeps the whole reason)."""
    text = str(reason or "unknown")
    if text.startswith("HTTP "):
        return " ".join(text.split()[:2])
    for kind in ("robots.txt unreachable", "robots.txt", "redirect loop", "too large", "not a document",
                 "where the URL promised", "where Content-Disposition promised", "where Content-Type promised",
                 "read timeout", "connect timeout", "connection broken", "Retry-After", "malformed URL"):
        if kind in text:
            return kind.replace("where ", "promised by ").replace(" promised", "")
    return text.split(" (")[0].split(":")[0][:60]


class _Run:
    def __init__(self, layout: OutputLayout, store: ProgressStore, options, log):
        self.layout, self.store, self.options, self.log = layout, store, options, log
        self.downloads = layout.root / "downloads"
        self.partial = self.downloads / ".partial"
        self.token = f"{socket.gethostname()}-{os.getpid()}"
        self.report = DownloadReport()
        self.pending_rows: list[dict] = []
        self.last_flush = self.last_progress = 0.0
        self.started = 0.0
        self.by_reason: Counter = Counter()

    # -- the run -------------------------------------------------------------------------
    def go(self, shards: set[str] | None) -> DownloadReport:
        self.started = time.monotonic()
        self.partial.mkdir(parents=True, exist_ok=True)
        self._remove_dead_partials()
        rows, self.sha_index = self._todo(shards)
        rows = self._adopt(rows)
        items = [Item(r[KEY], r["url"], r["base_domain"], str(r.get("group") or r["base_domain"]), r.get("referer"))
                 for r in rows]
        self.rows = {r[KEY]: r for r in rows}
        self.report.links += len(items)
        self.log(f"download: {len(items)} links to fetch on {len({i.host for i in items})} hosts"
                 + (f" ({self.report.adopted} found complete on disk)" if self.report.adopted else "")
                 + (f"; {self.report.skipped} skipped (failed in skip_failed_after runs)" if self.report.skipped else ""))
        try:
            if items:
                asyncio.run(self._fetch_all(items))
        finally:
            self._flush()
            self.store.compact()
            self.report.seconds = time.monotonic() - self.started
            self.report.by_reason = dict(self.by_reason.most_common())
            self._progress(final=True)
        return self.report

    def _todo(self, shards: set[str] | None) -> tuple[list[dict], dict[str, str]]:
        o = self.options
        extra = {"group": o.parallelize_by, "referer": o.referer_column}
        wanted = {k: source_name(v) for k, v in extra.items() if v}
        needed = ["url", "shard", "download_status", "download_retry_count", "download_attempts", "base_domain",
                  "sha256", "path", "missing", *wanted.values()]
        df = self.store.read(needed)  # these columns only: the store's others are no business of a download
        for what, column in wanted.items():
            if column not in df and len(df):
                raise ValueError(f"{'parallelize_by' if what == 'group' else 'referer_column'} {extra[what]!r} "
                                 f"is not a column of the link list")
        if df.empty or "url" not in df:
            return [], {}
        for column in ("sha256", "path", "missing", "shard", "download_status", "download_retry_count",
                       "download_attempts", "base_domain"):
            if column not in df:
                df[column] = None
        kept = df[df["sha256"].notna() & df["path"].notna()]
        kept = kept[~kept["missing"].fillna(False).astype(bool)]
        sha_index = dict(zip(kept["sha256"], kept[KEY]))
        links = df[df["url"].notna()]
        if shards is not None:
            links = links[links["shard"].isin(shards)]
        status = links["download_status"].fillna(PENDING)
        todo = links[status.isin([PENDING, RETRY])]
        tries = todo["download_retry_count"].fillna(0).astype(int)
        self.report.skipped = int((tries >= o.skip_failed_after).sum())
        todo = todo[(tries < o.skip_failed_after).to_numpy(dtype=bool)]
        rows = []
        for record in todo.to_dict("records"):
            row = {k: _plain(record.get(k)) for k in (KEY, "url", "base_domain", "download_retry_count",
                                                      "download_attempts")}
            for what, column in wanted.items():
                row[what] = _plain(record.get(column))
            rows.append(row)
        return rows, sha_index

    def _adopt(self, rows: list[dict]) -> list[dict]:
        """Files renamed into place by a run killed before it recorded them: complete (a rename
        comes only after the fsync), so recorded now instead of fetched again."""
        on_disk: dict[str, str] = {}
        with os.scandir(self.downloads) as entries:
            for entry in entries:
                stem, dot, ext = entry.name.rpartition(".")
                if dot and ext in self.options.supported_formats and entry.is_file(follow_symlinks=False):
                    on_disk[stem] = entry.name
        left = []
        for row in rows:
            name = on_disk.get(row[KEY])
            if name is None:
                left.append(row)
                continue
            path = self.downloads / name
            kind = sniff_file(path, name.rsplit(".", 1)[1]).kind
            if kind != name.rsplit(".", 1)[1]:
                path.unlink(missing_ok=True)  # not what this run would have kept under that name
                left.append(row)
                continue
            found = Attempt(OK, bytes=path.stat().st_size, sha256=sha256_of(path), kind=kind)
            self.report.adopted += 1
            self._keep(row, found, path, adopted=True)
        return left

    async def _fetch_all(self, items: list[Item]) -> None:
        import aiohttp

        o = self.options
        timeout = aiohttp.ClientTimeout(total=o.timeout, sock_connect=o.connect_timeout, sock_read=o.read_timeout)
        settings = FetchSettings(o.user_agent, timeout, o.max_redirects, o.max_bytes, tuple(o.supported_formats),
                                 False if o.ssl_insecure else None, o.read_timeout, o.timeout)
        robots: dict[str, asyncio.Future] = {}
        connector = aiohttp.TCPConnector(limit=o.concurrency, limit_per_host=0, ttl_dns_cache=300)
        async with aiohttp.ClientSession(connector=connector, auto_decompress=True) as session:
            scheduler = Scheduler(Policy.of(o), None, self._settle, robots=not o.ignore_robots)

            async def robots_of(origin: str) -> Robots:
                if o.ignore_robots:
                    return ALLOW_ALL
                if origin not in robots:
                    robots[origin] = asyncio.ensure_future(fetch_robots(
                        session, origin, o.user_agent, aiohttp.ClientTimeout(
                            total=min(o.timeout or 60, 60), sock_connect=o.connect_timeout,
                            sock_read=o.read_timeout), settings.ssl))
                    found = await robots[origin]
                    scheduler.hosts[origin].stats.requests += 1 if origin in scheduler.hosts else 0
                    scheduler.robots_read(origin, found.crawl_delay)
                    return found
                return await robots[origin]

            async def work(item: Item) -> Attempt:
                tmp = self.partial / f"{item.stem}.{self.token}.part"
                return await attempt(session, item.url, tmp, settings, robots_of, item.referer)

            scheduler.work = work
            ticker = asyncio.create_task(self._tick())
            try:
                await scheduler.run(items)
            finally:
                ticker.cancel()
            self.report.hosts = {origin: asdict(h.stats) for origin, h in sorted(scheduler.hosts.items())}
            self.report.requests = sum(h.stats.requests for h in scheduler.hosts.values())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            if time.monotonic() - self.last_flush >= FLUSH_SECONDS:
                self._flush()
            self._progress()

    # -- outcomes ------------------------------------------------------------------------
    def _settle(self, item: Item, result: Attempt) -> None:
        row = self.rows[item.stem]
        row["download_attempts"] = int(row.get("download_attempts") or 0) + item.requests
        if result.outcome == OK:
            twin = self.sha_index.get(result.sha256)
            if twin is not None and twin != item.stem:
                result.tmp.unlink(missing_ok=True)
                self._record(row, result, DUPLICATE, f"the same bytes as {twin} (kept once)", duplicate_of=twin)
                self.report.duplicates += 1
                return
            final = self.downloads / f"{item.stem}.{result.kind}"
            os.replace(result.tmp, final)
            self._keep(row, result, final)
            return
        tries = int(row.get("download_retry_count") or 0) + 1
        row["download_retry_count"] = tries
        reason = result.reason or "unknown"
        # GlossAPI's rule: a failed link is tried again by later runs (a 404 today may be fixed
        # tomorrow) until it has failed in skip_failed_after of them; within a run only a
        # transient cause is retried
        if tries >= self.options.skip_failed_after:
            status, reason = FAILED, f"{reason}; given up after failing in {tries} runs (skip_failed_after)"
        else:
            status = RETRY
        self.by_reason[reason_kind(result.reason)] += 1
        if status == FAILED:
            self.report.failed += 1
        else:
            self.report.to_retry += 1
        self._record(row, result, status, reason)

    def _keep(self, row: dict, result: Attempt, path: Path, adopted: bool = False) -> None:
        self.sha_index.setdefault(result.sha256, row[KEY])
        st = path.stat()
        self.report.downloaded += 1
        self.report.bytes += result.bytes
        self._record(row, result, DOWNLOADED, None, path=str(path), filename=path.name, file_ext=result.kind,
                     size=st.st_size, mtime=st.st_mtime, download_success=True)

    def _record(self, row: dict, result: Attempt, status: str, reason: str | None, **values) -> None:
        out = dict.fromkeys(OUTCOME)
        out.update({KEY: row[KEY], "download_status": status, "download_success": False, "download_error": reason,
                    "download_retry_count": int(row.get("download_retry_count") or 0),
                    "download_attempts": int(row.get("download_attempts") or 0),
                    "is_duplicate": status == DUPLICATE, "http_status": result.http_status,
                    "content_type": result.content_type, "final_url": result.final_url, "etag": result.etag,
                    "last_modified": result.last_modified, "bytes": result.bytes if result.sha256 else None,
                    "sha256": result.sha256, "missing": False,
                    "downloaded_at": datetime.now(timezone.utc) if result.sha256 else None})
        out.update(values)
        listed = self.report.stems.setdefault(status, [])
        if len(listed) < 200:
            listed.append(row[KEY])
        self.pending_rows.append(out)
        if len(self.pending_rows) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        """Renames durable first (the folder fsync'ed), then the batch that names the files."""
        self.last_flush = time.monotonic()
        if not self.pending_rows:
            return
        fd = os.open(self.downloads, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        rows, self.pending_rows = self.pending_rows, []
        self.store.upsert(rows)
        self.store.maybe_compact()

    # -- around the run --------------------------------------------------------------------
    def _remove_dead_partials(self) -> None:
        """Partial bodies of runs that are gone: this machine's dead processes', another machine's
        after a day. Never a live run's (two shards may download into one OUT at once)."""
        if not self.partial.is_dir():
            return
        host = socket.gethostname()
        for part in self.partial.glob("*.part"):
            owner = part.name.rsplit(".", 2)[-2] if part.name.count(".") >= 2 else ""
            machine, _, pid = owner.rpartition("-")
            if machine == host and pid.isdigit():
                if not pid_alive(int(pid)):
                    part.unlink(missing_ok=True)
            elif time.time() - part.stat().st_mtime > STALE_PARTIAL_SECONDS:
                part.unlink(missing_ok=True)

    def _progress(self, final: bool = False) -> None:
        """OUT/logs/download_progress.json, for a progress bar in another thread or process."""
        self.last_progress = time.monotonic()
        r = self.report
        seconds = max(time.monotonic() - self.started, 1e-9)
        done = r.downloaded + r.duplicates + r.failed + r.to_retry
        state = {"pid": os.getpid(), "links": r.links + r.adopted, "done": done, "downloaded": r.downloaded,
                 "duplicates": r.duplicates, "failed": r.failed, "to_retry": r.to_retry, "bytes": r.bytes,
                 "seconds": round(seconds, 3), "links_per_s": round(done / seconds, 2),
                 "mb_per_s": round(r.bytes / seconds / 1e6, 3), "finished": final}
        try:
            atomic_write_text(self.layout.root / "logs" / "download_progress.json", json.dumps(state))
        except OSError:  # the bar is a convenience; the store is the record
            pass


def _plain(value):
    try:
        import pandas as pd

        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            return None
    except TypeError:
        pass
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value
