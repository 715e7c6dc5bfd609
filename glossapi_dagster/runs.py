"""Run the jobs in process on a Dagster instance: what the sample run and the Corpus facade call,
so every call is a recorded run, visible in the UI of that instance.

The jobs are the code location's own (glossapi_dagster.definitions: the same assets, checks,
sensors and schedules the UI serves); only the resources are the caller's."""
from dagster import DagsterInstance, ExecuteInProcessResult, JobDefinition

from .config import checked_run_config
from .jobs import extract_job, manifest_job, math_job, ocr_job
from .partitions import store_shards
from .stale_runs import release_dead_runs, run_tags

from .terminal import TERMINAL_LOGS
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def location_job(name: str) -> JobDefinition:
    """A job of the code location (imported here, not at the top: the location imports this package)."""
    from ..definitions import defs

    return defs.resolve_job_def(name)


def run_job(instance: DagsterInstance, resources: dict, name: str, run_config: dict | None = None,
            tags: dict | None = None, raise_on_error: bool = True) -> ExecuteInProcessResult:
    """The location's job `name`, run in process with the caller's resources in place of the location's."""
    return location_job(name).execute_in_process(instance=instance, resources=resources,
                                                 run_config={**(run_config or {}), **TERMINAL_LOGS},
                                                 tags={**(tags or {}), **run_tags()}, raise_on_error=raise_on_error)


def materialize_manifest(instance: DagsterInstance, resources: dict, input_format: str | None = None,
                         shard_size: int | None = None) -> ExecuteInProcessResult:
    given = {k: v for k, v in (("input_format", input_format), ("shard_size", shard_size)) if v is not None}
    config = {"ops": {"download_results": {"config": checked_run_config("download_results", given)}}}
    return run_job(instance, resources, manifest_job.name, config)


def over_shards(instance: DagsterInstance, resources: dict, job_name: str, asset: str,
                partition_keys: list[str] | None, config: dict) -> ExecuteInProcessResult | None:
    """One run over a range of shards (by default every shard of OUT's store, whatever the
    instance had registered): one pool for all of them."""
    config = checked_run_config(asset, config)  # a bad option: one clear error, no run started
    keys = partition_keys or store_shards(instance, resources["corpus"].output_dir)
    if not keys:
        return None
    release_dead_runs(instance)
    return run_job(instance, resources, job_name, {"ops": {asset: {"config": config}}},
                   tags={RANGE_START: keys[0], RANGE_END: keys[-1]})


def materialize_extraction(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                           **extract_config) -> ExecuteInProcessResult | None:
    return over_shards(instance, resources, extract_job.name, "extracted_docs", partition_keys, extract_config)


def materialize_ocr(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                    **ocr_config) -> ExecuteInProcessResult | None:
    return over_shards(instance, resources, ocr_job.name, "ocr_docs", partition_keys, ocr_config)


def materialize_math(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                     **math_config) -> ExecuteInProcessResult | None:
    return over_shards(instance, resources, math_job.name, "math_enriched", partition_keys, math_config)
