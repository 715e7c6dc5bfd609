"""Asset checks on downloaded_files: every link accounted for, every kept file the bytes its row names."""
import hashlib
import os
import random
import time

from dagster import AssetCheckExecutionContext, AssetCheckResult, MetadataValue, asset_check

from .assets import downloaded_files
from ..check_rows import accounted_for, counts, done_rows, has_reason
from ..resources import CorpusResource

HASH_BUDGET_BYTES = 8 << 30  # past this, a random sample of the files is hashed (every one is stat'ed)


def _links(context, corpus):
    rows = done_rows(context, corpus, downloaded_files.key,
                     ["url", "download_status", "download_error", "duplicate_of", "path", "size", "sha256"])
    return rows[rows["url"].notna()] if len(rows) else rows


@asset_check(asset=downloaded_files, description="Every link of a materialized shard is downloaded, a duplicate "
             "of another row, or failed with a reason: nothing lost silently.")
def every_link_accounted_for(context: AssetCheckExecutionContext, corpus: CorpusResource) -> AssetCheckResult:
    rows = _links(context, corpus)
    status = rows["download_status"]
    ok = ((status == "downloaded") & rows["path"].notna()) | ((status == "duplicate") & rows["duplicate_of"].notna()) \
        | (status.isin(["failed", "retry"]) & has_reason(rows, "download_error"))
    return accounted_for(rows, ok, by_status=counts(status))


@asset_check(asset=downloaded_files, description="Every downloaded file is there, of its row's size, and its "
             "sha256 is its row's.")
def downloaded_files_match_their_rows(context: AssetCheckExecutionContext, corpus: CorpusResource) -> AssetCheckResult:
    rows = _links(context, corpus)
    rows = rows[rows["download_status"] == "downloaded"] if len(rows) else rows
    records = rows[["stem", "path", "size", "sha256"]].to_dict("records") if len(rows) else []
    broken, present = [], []
    for r in records:
        try:
            size = os.stat(r["path"]).st_size
        except OSError as exc:
            broken.append(f"{r['stem']}: {r['path']} unreadable ({exc.strerror})")
            continue
        if size != r["size"]:
            broken.append(f"{r['stem']}: {size} bytes on disk, {r['size']} in its row")
        else:
            present.append(r)
    random.Random(0).shuffle(present)
    hashed = total = 0
    started = time.monotonic()
    for r in present:
        if total + int(r["size"]) > HASH_BUDGET_BYTES and hashed:
            break
        if _sha256(r["path"]) != r["sha256"]:
            broken.append(f"{r['stem']}: sha256 differs from its row")
        hashed += 1
        total += int(r["size"])
    return AssetCheckResult(passed=not broken, metadata={
        "files": len(records), "hashed": hashed, "hashed_bytes": total, "broken": len(broken),
        "seconds": MetadataValue.float(round(time.monotonic() - started, 2)),
        "broken_files": MetadataValue.json(broken[:100])})


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


DOWNLOAD_CHECKS = [every_link_accounted_for, downloaded_files_match_their_rows]
