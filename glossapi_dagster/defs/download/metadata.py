"""Materialization metadata of link_list and downloaded_files: what a list held, what a shard's links
became, and what each host did."""
from __future__ import annotations

from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

HOST_SCHEMA = TableSchema(columns=[TableColumn("host", "string"), TableColumn("requests", "int"),
                                   TableColumn("downloaded", "int"), TableColumn("failed", "int"),
                                   TableColumn("bytes", "int"), TableColumn("parks", "int"),
                                   TableColumn("busy_seconds", "float")])
STATUSES = ("downloaded", "duplicate", "retry", "failed", "pending")


def link_list_metadata(reg) -> dict:
    return {"list": MetadataValue.path(reg.path), "url_column": reg.url_column, "links": reg.links,
            "new_links": reg.new_rows, "updated": reg.updated, "repeated_links": reg.duplicates,
            "malformed": reg.malformed, "new_shards": MetadataValue.json(reg.new_shards),
            "notes": MetadataValue.json(reg.notes)}


def host_table(hosts: dict) -> MetadataValue:
    return MetadataValue.table([TableRecord({"host": h, **{k: (round(v, 2) if isinstance(v, float) else v)
                                                           for k, v in stats.items()}})
                                for h, stats in list(hosts.items())[:500]], schema=HOST_SCHEMA)


def shard_counts(store, keys: set[str]) -> dict[str, dict]:
    """Each shard's links by status, bytes, and its failures with their reasons."""
    df = store.read(["shard", "url", "download_status", "download_error", "bytes"])
    out = {}
    if "url" not in df or df.empty:
        return {key: {} for key in keys}
    df = df[df["url"].notna() & df["shard"].isin(keys)]
    for key in sorted(keys):
        rows = df[df["shard"] == key]
        status = rows["download_status"].fillna("pending")
        failed = rows[status.isin(["failed", "retry"]).to_numpy(dtype=bool)]
        out[key] = {**{s: int((status == s).sum()) for s in STATUSES},
                    "bytes": int(rows.loc[(status == "downloaded").to_numpy(dtype=bool), "bytes"].fillna(0).sum()),
                    "failures": MetadataValue.json(dict(list(zip(failed["stem"],
                                                                 failed["download_error"].astype(str)))[:200]))}
    return out
