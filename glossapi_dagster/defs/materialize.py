"""Run the jobs in process on a Dagster instance: what the sample run and the Corpus facade call,
so every call is a recorded run, visible in the UI of that instance."""
from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from .assets import download_results, extracted_docs
from .checks import every_document_accounted_for, outputs_exist_and_parse, problematic_share
from .jobs import extract_job, manifest_job
from .partitions import shards
from .stale_runs import release_dead_runs, run_tags

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def _definitions(resources: dict) -> Definitions:
    return Definitions(assets=[download_results, extracted_docs], jobs=[manifest_job, extract_job],
                       asset_checks=[every_document_accounted_for, outputs_exist_and_parse, problematic_share],
                       resources=resources)


def materialize_manifest(instance: DagsterInstance, resources: dict, input_format: str = "pdf",
                         shard_size: int = 1000) -> ExecuteInProcessResult:
    config = {"ops": {"download_results": {"config": {"input_format": input_format, "shard_size": shard_size}}}}
    job = _definitions(resources).resolve_job_def(manifest_job.name)
    return job.execute_in_process(instance=instance, run_config=config, tags=run_tags())


def materialize_extraction(instance: DagsterInstance, resources: dict, partition_keys: list[str] | None = None,
                           **extract_config) -> ExecuteInProcessResult | None:
    """One run over a range of shards (all registered ones by default): one pool for all of them."""
    keys = partition_keys or instance.get_dynamic_partitions(shards.name)
    if not keys:
        return None
    config = {"ops": {"extracted_docs": {"config": extract_config}}}
    job = _definitions(resources).resolve_job_def(extract_job.name)
    release_dead_runs(instance)
    return job.execute_in_process(instance=instance, run_config=config,
                                  tags={RANGE_START: keys[0], RANGE_END: keys[-1], **run_tags()})
