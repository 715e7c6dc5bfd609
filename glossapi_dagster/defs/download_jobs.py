"""Running link_list and downloaded_files in process (what Corpus.download and the CLI call)."""
from pathlib import Path

from dagster import DagsterInstance, ExecuteInProcessResult

from ..datamodel import DownloadOptions, ManifestOptions, build
from ..download import find_link_list, read_link_list
from ..download.run import shards_with_work
from .config import LIST_FIELDS
from .jobs import download_job, link_list_job
from .materialize import RANGE_END, RANGE_START, run_job
from .partitions import shards
from .stale_runs import release_dead_runs


def materialize_link_list(instance: DagsterInstance, resources: dict, shard_size: int | None = None,
                          **list_config) -> ExecuteInProcessResult:
    options = build(DownloadOptions, **list_config)  # a bad option: one clear error, no run started
    # an unreadable list, or one without a URL column: one clear error (LinkListError), no run started
    read_link_list(find_link_list(Path(resources["corpus"].input_dir), options.input_parquet), options.url_column)
    config = {**list_config, **({"shard_size": build(ManifestOptions, shard_size=shard_size).shard_size}
                                if shard_size is not None else {})}
    return run_job(instance, resources, link_list_job.name, {"ops": {"link_list": {"config": config}}})


def materialize_download(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                         **download_config) -> ExecuteInProcessResult | None:
    """One run over the shards given, or over every shard with links still to fetch (None: nothing left)."""
    options = build(DownloadOptions, **download_config)
    config = {k: v for k, v in download_config.items() if k not in LIST_FIELDS}
    keys = partition_keys or shards_with_work(resources["corpus"].output_dir, options.skip_failed_after)
    if not keys:
        return None
    registered = set(instance.get_dynamic_partitions(shards.name))
    if [k for k in keys if k not in registered]:
        instance.add_dynamic_partitions(shards.name, [k for k in keys if k not in registered])
    release_dead_runs(instance)
    return run_job(instance, resources, download_job.name, {"ops": {"downloaded_files": {"config": config}}},
                   tags={RANGE_START: keys[0], RANGE_END: keys[-1]})
