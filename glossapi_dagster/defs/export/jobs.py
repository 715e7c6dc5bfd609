"""The export's jobs, and running them in process (what Corpus.clean / jsonl_sharded / the CLI call)."""
from dagster import AssetSelection, DagsterInstance, ExecuteInProcessResult, define_asset_job

from .assets.export import cleaned_docs, training_dataset
from .partitions import store_shards

clean_job = define_asset_job("clean_job", selection=[cleaned_docs],
                             description="GlossAPI's clean() on the selected shards: filter, needs_ocr, clean_keep.")
export_job = define_asset_job("export_job", selection=[training_dataset],
                              description="The deduplicated training dataset (JSONL or parquet shards), and its checks.")
export_checks_job = define_asset_job("export_checks_job", selection=AssetSelection.checks_for_assets(training_dataset),
                                     description="The training dataset's checks alone, on what is on disk now.")
EXPORT_JOBS = [clean_job, export_job, export_checks_job]


def materialize_clean(instance: DagsterInstance, resources: dict, **clean_config) -> ExecuteInProcessResult | None:
    """One run over every shard of the store (registered here first when the store was made on
    another instance)."""
    keys = store_shards(instance, resources["corpus"].output_dir)
    if not keys:
        return None
    from .materialize import RANGE_END, RANGE_START, run_job

    return run_job(instance, resources, clean_job.name, {"ops": {"cleaned_docs": {"config": clean_config}}},
                   tags={RANGE_START: keys[0], RANGE_END: keys[-1]})


def materialize_export(instance: DagsterInstance, resources: dict, **export_config) -> ExecuteInProcessResult:
    from .materialize import run_job

    return run_job(instance, resources, export_job.name, {"ops": {"training_dataset": {"config": export_config}}})


def run_export_checks(instance: DagsterInstance, resources: dict) -> ExecuteInProcessResult:
    from .materialize import run_job

    return run_job(instance, resources, export_checks_job.name, raise_on_error=False)
