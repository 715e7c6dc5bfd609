"""Corpus.download()'s work (the method is corpus.py's): GlossAPI's call as two recorded runs
(link_list, then downloaded_files over the shards with links left), with a progress bar; and
GlossAPI's `downloader_config` keys read as DownloadOptions' fields. Nothing here imports corpus.py."""
from __future__ import annotations

import json
import threading
import time
import warnings
from pathlib import Path

from .datamodel import DownloadOptions, build
from .datamodel.options import DOWNLOAD_FORMATS

# GlossAPI's downloader_config (and download(**kwargs)) keys -> DownloadOptions' fields
LEGACY_KEYS = {
    "concurrency": "concurrency", "per_domain_concurrency": "per_host_concurrency",
    "max_retries": "max_attempts", "retry_interval": "backoff", "backoff_max_s": "max_backoff",
    "request_timeout": "timeout", "skip_failed_after": "skip_failed_after", "supported_formats": "supported_formats",
    "referer_column": "referer_column", "url_column": "url_column", "input_parquet": "input_parquet",
}
# keys of GlossAPI's with no counterpart here: what they tune is done otherwise (one honest
# User-Agent, not rotated browsers; per-host limits, not ETA tuning; the store, not checkpoints)
IGNORED = {"sleep", "internal_batch_size", "save_every", "domain_cookies", "log_level", "verbose", "scheduler_mode",
           "max_active_domains", "eta_max_seconds", "dynamic_tuning", "domain_concurrency_floor",
           "domain_concurrency_ceiling", "progress_log_file", "request_log_file", "progress_log_level", "ssl_cafile",
           "checkpoint_every", "checkpoint_seconds", "pre_ping_domains", "ping_timeout_s", "ping_concurrency",
           "ping_method", "ping_recheck_seconds", "down_wait_max_seconds", "timeout_streak_threshold",
           "backoff_min_s", "error_burst_window", "error_burst_threshold", "park_403_seconds", "output_dir"}


def from_glossapi(config: dict) -> dict:
    """GlossAPI's downloader settings as DownloadOptions values; a key it does not know is a
    TypeError (as an unknown keyword is), one it knows that means nothing here a warning."""
    values, ignored = {}, []
    rate, period = config.get("rate_limit"), config.get("rate_period", 60)
    for key, value in config.items():
        if key in LEGACY_KEYS:
            values[LEGACY_KEYS[key]] = value
        elif key == "scheduler_group_by":
            values["parallelize_by"] = None if value in (None, "base_domain") else value
        elif key == "ssl_verify":
            values["ssl_insecure"] = not value
        elif key == "request_method":
            if str(value).lower() != "get":
                raise ValueError(f"request_method={value!r}: links are fetched with GET only")
        elif key in ("rate_limit", "rate_period"):
            continue
        elif key in IGNORED:
            ignored.append(key)
        else:
            raise TypeError(f"download() got an unexpected keyword argument {key!r}")
    if rate:  # GlossAPI's is one budget for all hosts; here each host has its own
        values["per_host_rate"] = float(rate) / float(period or 60)
    if "supported_formats" in values:
        kept = [f for f in values["supported_formats"] if str(f).lower().lstrip(".") in DOWNLOAD_FORMATS]
        dropped = sorted(set(values["supported_formats"]) - set(kept))
        if dropped:
            ignored.append(f"supported_formats {', '.join(dropped)} (not converted here)")
        values["supported_formats"] = kept
    if ignored:
        warnings.warn(f"download(): ignored GlossAPI setting(s) with no meaning here: {', '.join(ignored)}",
                      stacklevel=3)
    return values


def download_options(given: dict, links_column: str | None, downloader_config: dict | None,
                     kwargs: dict) -> DownloadOptions:
    """Corpus.download's options: a keyword the caller changed wins over GlossAPI's settings (the
    constructor's `downloader_config`, then download's **kwargs), those over the defaults."""
    if links_column:
        given["url_column"] = links_column
    if given.get("input_parquet") is not None:
        given["input_parquet"] = str(given["input_parquet"])
    if "supported_formats" in given:
        given["supported_formats"] = list(given["supported_formats"])
    changed = {k: v for k, v in given.items() if v != DownloadOptions.model_fields[k].default}
    legacy = {**from_glossapi(dict(downloader_config or {})), **from_glossapi(kwargs)}
    return build(DownloadOptions, **{**legacy, **changed})


def run_download(corpus, options: DownloadOptions):
    from .corpus_checks import check_writable
    from .defs.instance import call_instance as _instance
    from .runs import materialize_download, materialize_link_list
    from .defs.resources import CorpusResource
    from .state import OutputLayout, ProgressStore

    check_writable(corpus.output_dir)
    resources = {"corpus": CorpusResource(input_dir=str(corpus.input_dir), output_dir=str(corpus.output_dir))}
    list_config = {"input_parquet": options.input_parquet, "url_column": options.url_column}
    fetch_config = options.model_dump(exclude={"input_parquet", "url_column"})
    with _instance() as instance:
        listed = materialize_link_list(instance, resources, shard_size=corpus.shard_size, **list_config)
        name = Path(listed.asset_materializations_for_node("link_list")[0].metadata["list"].value).name
        with DownloadProgress(OutputLayout(corpus.output_dir).root, enabled=corpus.progress):
            run = materialize_download(instance, resources, **fetch_config)
    corpus.last_download = run.run_id if run is not None else None
    rows = ProgressStore(OutputLayout(corpus.output_dir).store_dir).read()
    rows = rows[rows["link_list"] == name] if "link_list" in rows else rows.iloc[:0]
    return rows.sort_values(["source_row", "url_index"]).reset_index(drop=True)


class DownloadProgress:
    """A terminal bar (links done of all, MB, MB/s, failures) fed by the run's progress file."""

    def __init__(self, out: Path, enabled: bool = True):
        self.path, self.enabled = Path(out) / "logs" / "download_progress.json", enabled
        self.stop = threading.Event()

    def __enter__(self):
        if self.enabled:
            self.since = time.time()
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        return self

    def _run(self) -> None:
        from tqdm import tqdm

        with tqdm(desc="download", unit="link") as bar:
            while not self.stop.wait(0.5):
                self._update(bar)
            self._update(bar)

    def _update(self, bar) -> None:
        try:
            if self.path.stat().st_mtime < self.since:
                return  # an earlier run's
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        bar.total, bar.n = state["links"], state["done"] + 0
        bar.set_postfix(MB=round(state["bytes"] / 1e6, 1), MB_s=state["mb_per_s"], failed=state["failed"],
                        retry=state["to_retry"], refresh=False)
        bar.refresh()

    def __exit__(self, *exc):
        self.stop.set()
        if getattr(self, "thread", None):
            self.thread.join(5)
