"""A link list read as GlossAPI reads it: the file, its URL column, and one row per link.

A harvested list is untidy: a cell may hold one URL, a Python or JSON list of them, a JSON object
with a `url`/`href`/`link`, or several URLs separated by `;` or new lines; the column may be
called `links` where `url` was asked. Each link becomes a row of its own with every column of its
source row, `source_row` (the row's position in the list) and `url_index` (the link's position in
its cell). A list that cannot be read, or has no URL column, is one clear error before any request.
"""
from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

LIST_SUFFIXES = (".parquet", ".csv", ".jsonl", ".ndjson")
CHUNK_ROWS = 5000  # rows of the list read at a time
URL_WORDS = ("url", "link", "uri")  # GlossAPI's fallback: a column whose name holds one of these
_URL_IN_TEXT = re.compile(r"https?://\S+")


class LinkListError(ValueError):
    """A link list that cannot be used: unreadable, empty of columns, or without a URL column."""


@dataclass
class LinkList:
    """A list, opened: its URL column found, its rows read a chunk at a time (`links()`), so a list of
    10^5 links is never held whole as Python objects."""

    path: Path
    url_column: str
    source_columns: list[str]                        # the list's own columns, in its order
    notes: list[str] = field(default_factory=list)   # one line each, for the user
    links_read: int = 0                              # links the last walk through links() gave

    def links(self) -> Iterator[dict]:
        """One dict per link, in list order: url, source_row, url_index (-1: the cell held none) and
        values (the source row's columns; the URL cell too where the column is not `url`)."""
        self.links_read = 0
        source_row = 0
        for records in _chunks(self.path):
            for record in records:
                cell = record.get(self.url_column)
                found = parse_links(cell)
                values = {str(k): plain_value(v) for k, v in record.items()
                          if (k != "url" or self.url_column != "url") and not str(k).startswith("__index_level_")}
                for index, link in enumerate(found or [None]):
                    self.links_read += 1
                    yield {"url": link, "source_row": source_row, "url_index": index if found else -1,
                           "values": values}
                source_row += 1

    @property
    def rows(self) -> list[dict]:
        """Every link at once (small lists, tests)."""
        return list(self.links())


def find_link_list(input_dir: Path, named: str | None = None) -> Path:
    """The list to read: `named` (relative to IN, or absolute), else the first *.parquet of IN by
    name (GlossAPI's rule), else the first *.csv, else *.jsonl."""
    if named:
        path = Path(named)
        path = path if path.is_absolute() else Path(input_dir) / path
        if not path.is_file():
            raise LinkListError(f"link list {path} not found")
        return path
    for suffix in LIST_SUFFIXES:
        found = sorted(Path(input_dir).glob(f"*{suffix}"))
        if found:
            return found[0]
    raise LinkListError(f"no link list in {input_dir}: put a .parquet (or .csv, .jsonl) of links there, "
                        f"or name one with input_parquet")


def _chunks(path: Path) -> Iterator[list[dict]]:
    """The list's rows as dicts, CHUNK_ROWS at a time; an unreadable file is one LinkListError."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS):
                yield batch.to_pylist()
            return
        import pandas as pd

        if suffix == ".csv":  # , ; or tab, as the file has it
            reader = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig", chunksize=CHUNK_ROWS)
        elif suffix in (".jsonl", ".ndjson"):
            reader = pd.read_json(path, lines=True, dtype=False, chunksize=CHUNK_ROWS)
        else:
            raise LinkListError(f"link list {path}: not a .parquet, .csv or .jsonl file")
        with reader:
            for frame in reader:
                yield frame.to_dict("records")
    except LinkListError:
        raise
    except Exception as exc:  # pyarrow, csv and json each raise their own
        raise LinkListError(f"cannot read the link list {path}: {type(exc).__name__}: {exc}") from None


def _columns(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            return [str(c) for c in pq.read_schema(path).names if not str(c).startswith("__index_level_")]
        except Exception as exc:
            raise LinkListError(f"cannot read the link list {path}: {type(exc).__name__}: {exc}") from None
    first = next(_chunks(path), [])
    return [str(c) for c in first[0]] if first else []


def url_column_of(columns: list[str], wanted: str) -> tuple[str, str | None]:
    """The URL column, and a note when it is not the one asked for (GlossAPI's fallback)."""
    if wanted in columns:
        return wanted, None
    likely = [c for c in columns if any(w in c.lower() for w in URL_WORDS)]
    if not likely:
        raise LinkListError(f"URL column {wanted!r} not found, and no column is named like url, link or uri; "
                            f"the columns are: {', '.join(columns) or '(none)'}")
    return likely[0], f"URL column {wanted!r} not found; using {likely[0]!r}"


def read_link_list(path: Path, url_column: str = "url") -> LinkList:
    """The list opened: readable, with a URL column (else one LinkListError, before any request)."""
    path = Path(path)
    if not path.is_file():
        raise LinkListError(f"link list {path} not found")
    columns = _columns(path)
    column, note = url_column_of(columns, url_column)
    return LinkList(path, column, columns, [note] if note else [])


def parse_links(value) -> list[str]:
    """The links a cell holds, in order (GlossAPI's rules, for the same lists)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if hasattr(value, "tolist") and not isinstance(value, str):  # a parquet list column: numpy array
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [link for v in value for link in parse_links(v)]
    if isinstance(value, dict):
        found = value.get("url") or value.get("href") or value.get("link")
        return parse_links(found) if found else []
    text = str(value).strip()
    if not text:
        return []
    if text[0] + text[-1] in ("[]", "{}"):
        for load in (json.loads, ast.literal_eval):
            try:
                return parse_links(load(text))
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
    if ("\n" in text or ";" in text) and "http" in text:
        return [part.strip() for part in re.split(r"[;\n]+", text) if part.strip()]
    found = _URL_IN_TEXT.findall(text)
    if len(found) > 1:
        return [u.rstrip(".,)") for u in found]
    return [text]


def plain_value(value):
    """A cell as a store value: scalars as they are, NaN as None, lists and objects as JSON text
    (one type a column whatever a row holds, so the store's columns stay typed)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)) and getattr(value, "ndim", 0) == 0:
        value = value.item()  # numpy scalar
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        try:
            import pandas as pd

            if value is pd.NaT:
                return None
        except ImportError:  # pragma: no cover
            pass
        return value.isoformat()
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return json.dumps(value, ensure_ascii=False, default=str)
