"""A sensor on the input folder and a daily schedule for missing or failed shards (both off by
default: switch them on in the UI). Their GLOSSAPI_* settings are read, and checked, at load."""

from dagster import (
    AssetMaterialization,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    MetadataValue,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    schedule,
    sensor,
)

from ...datamodel import settings
from ...state import OutputLayout, ProgressStore
from ...state.manifest import update_manifest
from ..download.manifest import download_results
from .assets import extracted_docs
from .jobs import extract_job
from ..partitions import shards
from ..resources import CorpusResource


@sensor(job=extract_job, minimum_interval_seconds=settings().sensor_interval,
        default_status=DefaultSensorStatus.STOPPED,
        description="New files in the input folder: download_results updated, their shards registered and extracted.")
def new_documents_sensor(context: SensorEvaluationContext, corpus: CorpusResource):
    store = ProgressStore(OutputLayout(corpus.output_dir).store_dir)
    env = settings()
    update = update_manifest(store, corpus.input_dir, env.input_format, env.shard_size)
    if not update.new_rows and not update.vanished:
        return SkipReason(f"no new files in {corpus.input_dir}")
    event = AssetMaterialization(download_results.key, metadata={
        "files": update.total, "new_files": len(update.new_rows), "new_shards": MetadataValue.json(update.new_shards),
        "vanished": MetadataValue.json(update.vanished[:200]), "by": "new_documents_sensor"})
    return SensorResult(
        run_requests=[RunRequest(run_key=shard, partition_key=shard) for shard in update.new_shards],
        dynamic_partitions_requests=[shards.build_add_request(update.new_shards)] if update.new_shards else [],
        asset_events=[event],
    )


@schedule(job=extract_job, cron_schedule=settings().retry_cron,
          default_status=DefaultScheduleStatus.STOPPED,
          description="Daily: extract every shard that was never materialized, failed, or still has documents left.")
def missing_shards_schedule(context: ScheduleEvaluationContext, corpus: CorpusResource):
    registered = context.instance.get_dynamic_partitions(shards.name)
    materialized = context.instance.get_materialized_partitions(extracted_docs.key)
    store = ProgressStore(OutputLayout(corpus.output_dir).store_dir)
    left = set(store.pending())
    manifest = store.read(["stem", "shard"])
    unfinished = set(manifest.loc[manifest["stem"].isin(left), "shard"]) if len(manifest) else set()
    due = [s for s in registered if s not in materialized or s in unfinished]
    if not due:
        return SkipReason("every shard is materialized and finished")
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return [RunRequest(run_key=f"{s}@{day}", partition_key=s) for s in due]
