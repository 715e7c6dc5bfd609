"""Run the jobs in process on a Dagster instance: what the sample run and the Corpus facade call,
so every call is a recorded run, visible in the UI of that instance."""
from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from .assets import download_results, extracted_docs, math_enriched, ocr_docs
from .config import checked_run_config
from .checks import every_document_accounted_for, outputs_exist_and_parse, problematic_share
from .jobs import extract_job, manifest_job, math_job, ocr_job
from .partitions import shards
from .stale_runs import release_dead_runs, run_tags

# Dagster's console logger shows warnings and errors; every event (DEBUG included) is still in the
# instance's event log, in the run's page of the UI. The terminal is for the progress bars.
TERMINAL_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def _definitions(resources: dict) -> Definitions:
    return Definitions(assets=[download_results, extracted_docs, ocr_docs, math_enriched],
                       jobs=[manifest_job, extract_job, ocr_job, math_job],
                       asset_checks=[every_document_accounted_for, outputs_exist_and_parse, problematic_share],
                       resources=resources)


def materialize_manifest(instance: DagsterInstance, resources: dict, input_format: str | None = None,
                         shard_size: int | None = None) -> ExecuteInProcessResult:
    given = {k: v for k, v in (("input_format", input_format), ("shard_size", shard_size)) if v is not None}
    config = {"ops": {"download_results": {"config": checked_run_config("download_results", given)}},
              **TERMINAL_LOGS}
    job = _definitions(resources).resolve_job_def(manifest_job.name)
    return job.execute_in_process(instance=instance, run_config=config, tags=run_tags())


def _over_shards(instance: DagsterInstance, resources: dict, job_name: str, asset: str,
                 partition_keys: list[str] | None, config: dict) -> ExecuteInProcessResult | None:
    """One run over a range of shards (all registered ones by default): one pool for all of them."""
    config = checked_run_config(asset, config)  # a bad option: one clear error, no run started
    keys = partition_keys or instance.get_dynamic_partitions(shards.name)
    if not keys:
        return None
    job = _definitions(resources).resolve_job_def(job_name)
    release_dead_runs(instance)
    return job.execute_in_process(instance=instance, run_config={"ops": {asset: {"config": config}}, **TERMINAL_LOGS},
                                  tags={RANGE_START: keys[0], RANGE_END: keys[-1], **run_tags()})


def materialize_extraction(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                           **extract_config) -> ExecuteInProcessResult | None:
    return _over_shards(instance, resources, extract_job.name, "extracted_docs", partition_keys, extract_config)


def materialize_ocr(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                    **ocr_config) -> ExecuteInProcessResult | None:
    return _over_shards(instance, resources, ocr_job.name, "ocr_docs", partition_keys, ocr_config)


def materialize_math(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                     **math_config) -> ExecuteInProcessResult | None:
    return _over_shards(instance, resources, math_job.name, "math_enriched", partition_keys, math_config)
