"""The export's jobs, and running them in process (what Corpus.clean / jsonl_sharded / the CLI call)."""
from dagster import AssetSelection, DagsterInstance, Definitions, ExecuteInProcessResult, define_asset_job

from .assets.export import cleaned_docs, training_dataset
from .export_checks import training_dataset_checks
from .partitions import shards
from .stale_runs import run_tags

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"

clean_job = define_asset_job("clean_job", selection=[cleaned_docs],
                             description="GlossAPI's clean() on the selected shards: filter, needs_ocr, clean_keep.")
export_job = define_asset_job("export_job", selection=[training_dataset],
                              description="The deduplicated training dataset (JSONL or parquet shards), and its checks.")
export_checks_job = define_asset_job("export_checks_job", selection=AssetSelection.checks_for_assets(training_dataset),
                                     description="The training dataset's checks alone, on what is on disk now.")
EXPORT_JOBS = [clean_job, export_job, export_checks_job]


def _definitions(resources: dict) -> Definitions:
    return Definitions(assets=[cleaned_docs, training_dataset], asset_checks=[training_dataset_checks],
                       jobs=EXPORT_JOBS, resources=resources)


def materialize_clean(instance: DagsterInstance, resources: dict, **clean_config) -> ExecuteInProcessResult | None:
    """One run over every shard of the store (registered here first when the store was made on
    another instance, as download_results does)."""
    from ..state import OutputLayout, ProgressStore

    store = ProgressStore(OutputLayout(resources["corpus"].output_dir).store_dir)
    df = store.read(["shard"])
    in_store = sorted(set(df["shard"].dropna())) if "shard" in df else []
    registered = set(instance.get_dynamic_partitions(shards.name))
    if [s for s in in_store if s not in registered]:
        instance.add_dynamic_partitions(shards.name, [s for s in in_store if s not in registered])
    keys = instance.get_dynamic_partitions(shards.name)
    if not keys:
        return None
    job = _definitions(resources).resolve_job_def(clean_job.name)
    return job.execute_in_process(instance=instance, run_config={"ops": {"cleaned_docs": {"config": clean_config}}},
                                  tags={RANGE_START: keys[0], RANGE_END: keys[-1], **run_tags()})


def materialize_export(instance: DagsterInstance, resources: dict, **export_config) -> ExecuteInProcessResult:
    job = _definitions(resources).resolve_job_def(export_job.name)
    return job.execute_in_process(instance=instance, run_config={"ops": {"training_dataset": {"config": export_config}}},
                                  tags=run_tags())


def run_export_checks(instance: DagsterInstance, resources: dict) -> ExecuteInProcessResult:
    job = _definitions(resources).resolve_job_def(export_checks_job.name)
    return job.execute_in_process(instance=instance, tags=run_tags(), raise_on_error=False)
