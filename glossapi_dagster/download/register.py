"""A link list's links entered into the progress store as manifest rows, before any request.

One row per link, keyed by a stem made from the normalised URL (so a rerun, or a list with rows
added, finds the same row again and a name never moves); the same URL twice is one row fetched
and the others `is_duplicate` rows pointing at it (`<stem>~<n>`); a link that is no URL is a
failed row with its reason. New rows are cut into new shards after the store's last one, under
the manifest's lock, so a folder scan at the same moment never takes the same shard.
Rows already there keep their download state; their source columns follow the list.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..state.atomic import atomic_write_text, file_lock
from ..state.schema import COLUMNS, KEY
from ..state.store import ProgressStore
from .links import LinkList, find_link_list, read_link_list
from .urls import BadLink, file_stem, host_of, normalise

# retry: failed in a run, tried again by the next (until skip_failed_after runs); failed: for good
PENDING, DOWNLOADED, DUPLICATE, RETRY, FAILED = "pending", "downloaded", "duplicate", "retry", "failed"


@dataclass
class Registration:
    links: int = 0                                       # rows in the list (after expansion)
    new_rows: int = 0
    updated: int = 0                                     # existing rows whose source columns changed
    duplicates: int = 0                                  # new rows that repeat a link
    malformed: int = 0                                   # new rows whose link is no URL
    new_shards: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    path: str = ""                                       # the list read
    url_column: str = ""


LISTS = "link_lists.json"  # in download_results/: each list registered, its URL column and source columns


def register_list(input_dir, store: ProgressStore, input_parquet: str | None = None, url_column: str = "url",
                  shard_size: int = 1000) -> Registration:
    """The link list of IN (found as GlossAPI finds it, or named) read and registered."""
    links = read_link_list(find_link_list(Path(input_dir), input_parquet), url_column)
    return register_links(store, links, shard_size)


def source_columns(store_folder: Path) -> list[str]:
    """The store columns that came from link lists (their own columns), in the lists' order."""
    try:
        lists = json.loads((Path(store_folder) / LISTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return list(dict.fromkeys(c for entry in lists.values() for c in entry.get("columns", [])))


def source_name(column: str) -> str:
    """A list's column as a store column: its own name, or source_<name> where the store has a column
    of that name (a list that is an older download_results, say: its statuses are not ours)."""
    return f"source_{column}" if column in COLUMNS or column == KEY else column


def register_links(store: ProgressStore, links: LinkList, shard_size: int = 1000) -> Registration:
    if shard_size < 1:
        raise ValueError("shard_size must be >= 1")
    store.folder.mkdir(parents=True, exist_ok=True)
    with file_lock(store.folder / ".manifest.lock"):
        return _register(store, links, shard_size)


def _register(store: ProgressStore, links: LinkList, shard_size: int) -> Registration:
    reg = Registration(notes=list(links.notes), path=str(links.path), url_column=links.url_column)
    named = {c: source_name(c) for c in links.source_columns if c != "url" or links.url_column != "url"}
    renamed = sorted(c for c, name in named.items() if name != c)
    if renamed:
        reg.notes.append(f"columns of the list named like the store's are kept as source_<name>: {', '.join(renamed)}")
    # only what is compared: the link rows' source columns (a store of 10^5 rows is not read whole)
    existing = store.read(["url", "shard", "source_row", "url_index", "link_list", *named.values()])
    stems = set(existing[KEY]) if len(existing) else set()
    canonical = _canonical_stems(existing)
    links_there = existing[existing["url"].notna()] if "url" in existing else existing.iloc[:0]
    old = {r[KEY]: r for r in links_there.to_dict("records")}
    shards = _Shards(existing, shard_size, store)
    seen: dict[str, int] = {}
    for link in links.links():
        row = {named.get(k, k): v for k, v in link["values"].items()}
        row.update(url=link["url"], source_row=link["source_row"], url_index=link["url_index"],
                   link_list=links.path.name)
        try:
            norm = normalise(link["url"]) if link["url"] is not None else None
            if norm is None:
                raise BadLink("the cell holds no link")
        except BadLink as exc:
            stem = _malformed_stem(links.path.name, link)
            if stem in old:
                shards.update(_changes(old[stem], row))
                continue
            stems.add(stem)
            reg.malformed += 1
            shards.add({**row, KEY: stem, "download_status": FAILED, "download_success": False,
                        "download_error": str(exc), "is_duplicate": False, "download_retry_count": 0})
            continue
        count = seen.get(norm, 0)
        seen[norm] = count + 1
        if count == 0:
            stem = canonical.get(norm)
            if stem is None:
                stem = _fresh(file_stem(norm), stems)
                canonical[norm] = stem
                shards.add({**row, KEY: stem, "filename_base": stem, "base_domain": host_of(norm),
                            "download_status": PENDING, "download_success": False, "is_duplicate": False,
                            "download_retry_count": 0, "download_attempts": 0})
                continue
        else:  # the same link again: a row of its own (its columns may differ), fetched once
            stem = f"{canonical[norm]}~{count}"
            if stem not in old and stem not in stems:
                stems.add(stem)
                reg.duplicates += 1
                shards.add({**row, KEY: stem, "base_domain": host_of(norm), "download_status": DUPLICATE,
                            "download_success": False, "is_duplicate": True, "duplicate_of": canonical[norm],
                            "download_error": f"the same link as {canonical[norm]} (fetched once)"})
                continue
        if stem in old:
            shards.update(_changes(old[stem], row))
    shards.flush()
    reg.links = links.links_read
    reg.new_rows, reg.updated, reg.new_shards = shards.added, shards.updated, shards.names
    if shards.added or shards.updated:
        store.compact()
    _remember(store.folder, links, reg)
    return reg


class _Shards:
    """New rows cut into new shards after the store's last one, and written a chunk at a time (a
    list of 10^5 links is never one list of dicts)."""

    CHUNK = 5000

    def __init__(self, existing, shard_size: int, store: ProgressStore):
        shards = existing["shard"].dropna() if len(existing) and "shard" in existing else []
        self.next = 1 + max((int(s.rsplit("-", 1)[1]) for s in shards if isinstance(s, str)), default=-1)
        self.size, self.store = shard_size, store
        self.rows: list[dict] = []
        self.names: list[str] = []
        self.added = self.updated = 0

    def add(self, row: dict) -> None:
        if self.added % self.size == 0:
            self.names.append(f"shard-{self.next + len(self.names):05d}")
        row["shard"] = self.names[-1]
        self.added += 1
        self._keep(row)

    def update(self, rows: list[dict]) -> None:
        self.updated += len(rows)
        for row in rows:
            self._keep(row)

    def _keep(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.store.upsert(self.rows)
            self.rows = []


def _remember(folder: Path, links: LinkList, reg: Registration) -> None:
    """The list's columns, as the store names them, for the export (which columns are provenance)."""
    path = folder / LISTS
    try:
        lists = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        lists = {}
    columns = [source_name(c) for c in links.source_columns if c != "url" or links.url_column != "url"]
    lists[links.path.name] = {"path": str(links.path), "url_column": links.url_column, "links": reg.links,
                              "columns": ["url", *columns],
                              "registered_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    atomic_write_text(path, json.dumps(lists, ensure_ascii=False, indent=1))


def _canonical_stems(existing) -> dict[str, str]:
    """normalised URL -> the stem of the row that fetches it, from the store's link rows."""
    if not len(existing) or "url" not in existing:
        return {}
    found: dict[str, str] = {}
    rows = existing[existing["url"].notna()]
    for stem, url in zip(rows[KEY], rows["url"]):
        if "~" in stem:  # a repeated link's row: <stem>~<n>
            continue
        try:
            found.setdefault(normalise(url), stem)
        except BadLink:
            continue
    return found


def _fresh(stem: str, taken: set[str]) -> str:
    """The stem, or with -2, -3 ... where another row (a scanned file, say) has it already."""
    candidate, n = stem, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}"
    taken.add(candidate)
    return candidate


def _malformed_stem(list_name: str, link: dict) -> str:
    """A malformed link's row is known by its place in its list (it has no URL to be known by)."""
    return f"{Path(list_name).stem}-row{link['source_row']}-{max(link['url_index'], 0)}".replace("~", "_")


def _changes(old: dict, row: dict) -> list[dict]:
    """The row's source columns that differ from the store's, as an update (empty: none)."""
    diff = {k: v for k, v in row.items() if not _same(old.get(k), v)}
    return [{KEY: old[KEY], **diff}] if diff else []


def _same(a, b) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _missing(v) -> bool:
    import pandas as pd

    return v is None or v is pd.NA or (isinstance(v, float) and v != v)
