"""Run the code location's jobs in process on a Dagster instance: what Corpus, the CLI and the
sample run call, so every call is a recorded run, visible in the UI of that instance.

The jobs are the code location's own (glossapi_dagster.definitions: the same assets, checks,
sensors and schedules the UI serves); only the resources are the caller's. This module imports
the location, never the other way: cli -> corpus -> runs -> definitions -> defs."""
from pathlib import Path

from dagster import DagsterInstance, ExecuteInProcessResult, JobDefinition

from .datamodel import DownloadOptions, ManifestOptions, build
from .definitions import checked_run_config, defs
from .defs.partitions import shards, store_shards
from .defs.stale_runs import release_dead_runs, run_tags
from .defs.terminal import TERMINAL_LOGS
from .download import find_link_list, read_link_list
from .download.run import shards_with_work

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
LIST_FIELDS = ("input_parquet", "url_column")  # link_list's fields of DownloadOptions; downloaded_files takes the rest


def location_job(name: str) -> JobDefinition:
    """A job of the code location."""
    return defs.resolve_job_def(name)


def run_job(instance: DagsterInstance, resources: dict, name: str, run_config: dict | None = None,
            tags: dict | None = None, raise_on_error: bool = True) -> ExecuteInProcessResult:
    """The location's job `name`, run in process with the caller's resources in place of the location's."""
    return location_job(name).execute_in_process(instance=instance, resources=resources,
                                                 run_config={**(run_config or {}), **TERMINAL_LOGS},
                                                 tags={**(tags or {}), **run_tags()}, raise_on_error=raise_on_error)


def _over_keys(keys: list[str]) -> dict:
    """The tags of one run over a range of shards: one pool for all of them."""
    return {RANGE_START: keys[0], RANGE_END: keys[-1]}


# -- the manifest, and the pool phases over the shards -------------------------------------
def materialize_manifest(instance: DagsterInstance, resources: dict, input_format: str | None = None,
                         shard_size: int | None = None) -> ExecuteInProcessResult:
    given = {k: v for k, v in (("input_format", input_format), ("shard_size", shard_size)) if v is not None}
    config = {"ops": {"download_results": {"config": checked_run_config("download_results", given)}}}
    return run_job(instance, resources, "manifest_job", config)


def over_shards(instance: DagsterInstance, resources: dict, job_name: str, asset: str,
                partition_keys: list[str] | None, config: dict) -> ExecuteInProcessResult | None:
    """One run over a range of shards (by default every shard of OUT's store, whatever the
    instance had registered): one pool for all of them."""
    config = checked_run_config(asset, config)  # a bad option: one clear error, no run started
    keys = partition_keys or store_shards(instance, resources["corpus"].output_dir)
    if not keys:
        return None
    release_dead_runs(instance)
    return run_job(instance, resources, job_name, {"ops": {asset: {"config": config}}}, tags=_over_keys(keys))


def materialize_extraction(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                           **extract_config) -> ExecuteInProcessResult | None:
    return over_shards(instance, resources, "extract_job", "extracted_docs", partition_keys, extract_config)


def materialize_ocr(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                    **ocr_config) -> ExecuteInProcessResult | None:
    return over_shards(instance, resources, "ocr_job", "ocr_docs", partition_keys, ocr_config)


def materialize_math(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                     **math_config) -> ExecuteInProcessResult | None:
    return over_shards(instance, resources, "math_job", "math_enriched", partition_keys, math_config)


# -- the link list and the downloads --------------------------------------------------------
def materialize_link_list(instance: DagsterInstance, resources: dict, shard_size: int | None = None,
                          **list_config) -> ExecuteInProcessResult:
    options = build(DownloadOptions, **list_config)  # a bad option: one clear error, no run started
    # an unreadable list, or one without a URL column: one clear error (LinkListError), no run started
    read_link_list(find_link_list(Path(resources["corpus"].input_dir), options.input_parquet), options.url_column)
    config = {**list_config, **({"shard_size": build(ManifestOptions, shard_size=shard_size).shard_size}
                                if shard_size is not None else {})}
    return run_job(instance, resources, "link_list_job", {"ops": {"link_list": {"config": config}}})


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
    return run_job(instance, resources, "download_job", {"ops": {"downloaded_files": {"config": config}}},
                   tags=_over_keys(keys))


# -- clean, the training export, the sections -----------------------------------------------
def materialize_clean(instance: DagsterInstance, resources: dict, **clean_config) -> ExecuteInProcessResult | None:
    """One run over every shard of the store (registered here first when the store was made on
    another instance)."""
    keys = store_shards(instance, resources["corpus"].output_dir)
    if not keys:
        return None
    return run_job(instance, resources, "clean_job", {"ops": {"cleaned_docs": {"config": clean_config}}},
                   tags=_over_keys(keys))


def materialize_export(instance: DagsterInstance, resources: dict, **export_config) -> ExecuteInProcessResult:
    return run_job(instance, resources, "export_job", {"ops": {"training_dataset": {"config": export_config}}})


def run_export_checks(instance: DagsterInstance, resources: dict) -> ExecuteInProcessResult:
    return run_job(instance, resources, "export_checks_job", raise_on_error=False)


def materialize_sections(instance: DagsterInstance, resources: dict, **config) -> ExecuteInProcessResult:
    config = checked_run_config("sections", config)
    return run_job(instance, resources, "section_job", {"ops": {"sections": {"config": config}}})


def materialize_annotation(instance: DagsterInstance, resources: dict, **config) -> ExecuteInProcessResult:
    config = checked_run_config("annotated_sections", config)
    return run_job(instance, resources, "annotate_job", {"ops": {"annotated_sections": {"config": config}}})
