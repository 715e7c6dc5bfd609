"""Where each exported document came from: the link list's columns on its record, GlossAPI's joins
of an external metadata table (`metadata_path`, `source_metadata_*`), and the card's counts of
documents per licence and per source host.

A published corpus needs each document's link, source and licence; these are the columns of the
link list the documents were downloaded from (download/register.py keeps them on every store row
and names them in download_results/link_lists.json), so they travel with the row into the record.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyarrow as pa

from ..state.schema import KEY
from .records import plain

LICENCE = re.compile(r"licen[cs]e|rights", re.IGNORECASE)
NO_LICENCE_LISTED = 50  # documents named on the card as having no licence; the rest are counted


def provenance_columns(store_folder: Path) -> list[str]:
    """The store columns that came from link lists (url first), in their order."""
    from ..download.register import source_columns  # the registry of link lists lives with them

    return source_columns(store_folder)


def parquet_fields(columns: list[str], taken: list[str]) -> list[tuple[str, str]]:
    """(parquet column, store column) of the provenance columns: text columns, named as in the list
    (source_<name> where the parquet schema has that name already: `text`, say)."""
    return [(f"source_{c}" if c in taken else c, c) for c in columns]


def extend_schema(schema: pa.Schema, fields: list[tuple[str, str]]) -> pa.Schema:
    for name, _ in fields:
        schema = schema.append(pa.field(name, pa.string()))
    return schema


def as_text(value) -> str | None:
    value = plain(value)
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


class Counts:
    """Documents per licence and per source host, and those without a licence recorded."""

    def __init__(self, columns: list[str]):
        self.licence = next((c for c in columns if LICENCE.search(c)), None)
        self.licences: Counter = Counter()
        self.hosts: Counter = Counter()
        self.unlicensed = 0
        self.unlicensed_names: list[str] = []

    def add(self, row: dict) -> None:
        host = plain(row.get("base_domain")) or ("local files" if not plain(row.get("url")) else "unknown")
        self.hosts[str(host)] += 1
        value = plain(row.get(self.licence)) if self.licence else None
        if value is None or not str(value).strip():
            self.unlicensed += 1
            if len(self.unlicensed_names) < NO_LICENCE_LISTED:
                self.unlicensed_names.append(str(plain(row.get("filename")) or row[KEY]))
        else:
            self.licences[str(value)] += 1

    def summary(self) -> dict:
        return {"licence_column": self.licence, "licences": dict(self.licences.most_common()),
                "hosts": dict(self.hosts.most_common()), "no_licence": self.unlicensed,
                "no_licence_documents": self.unlicensed_names}


class Joins:
    """GlossAPI's metadata joins: `metadata_path`, a table whose row for a document (matched by its
    `filename`'s stem) is the record's metadata in place of the store's columns of the same names;
    `source_metadata_path`, a table whose `source_metadata_fields` of the document's row go under
    `source_metadata_key`, each required (a missing row or an empty value is an error, as in GlossAPI:
    "use 'NA' explicitly")."""

    def __init__(self, metadata_path=None, key=None, fields=None, source_path=None):
        self.metadata = _by_stem(metadata_path) if metadata_path else {}
        self.key, self.fields = key, list(fields or [])
        self.source = _by_stem(source_path) if key else {}
        if key:
            columns = set().union(*(r.keys() for r in self.source.values())) if self.source else set()
            missing = [f for f in self.fields if f not in columns]
            if missing:
                raise KeyError(f"Source metadata columns {missing} not found in {source_path}")

    def row(self, row: dict) -> dict:
        found = self.metadata.get(_stem_of(row))
        return {**row, **{k: v for k, v in found.items() if k != KEY}} if found else row

    def extras(self, row: dict) -> dict:
        if not self.key:
            return {}
        label = plain(row.get("filename")) or row[KEY]
        entry = self.source.get(_stem_of(row))
        if entry is None:
            raise KeyError(f"Missing source metadata for filename '{label}'")
        chosen = {}
        for field in self.fields:
            value = plain(entry.get(field))
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ValueError(f"Source metadata field '{field}' has no value for filename '{label}'. "
                                 "Use 'NA' explicitly if the value is unavailable.")
            chosen[field] = value
        return {self.key: chosen}


def _stem_of(row: dict) -> str:
    name = plain(row.get("filename"))
    return Path(str(name)).stem if name else row[KEY]


def _by_stem(path) -> dict[str, dict]:
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"metadata parquet not found at {path}")
    df = pd.read_parquet(path)
    if "filename" not in df.columns:
        raise ValueError(f"metadata parquet {path} has no filename column to match documents by")
    out: dict[str, dict] = {}
    for record in df.to_dict("records"):
        name = plain(record.get("filename"))
        if name:
            out.setdefault(Path(str(name)).stem, {k: plain(v) for k, v in record.items()})
    return out
