"""The export's jobs: clean, the training dataset, and its checks alone."""
from dagster import AssetSelection, define_asset_job

from .assets import cleaned_docs, training_dataset

clean_job = define_asset_job("clean_job", selection=[cleaned_docs],
                             description="GlossAPI's clean() on the selected shards: filter, needs_ocr, clean_keep.")
export_job = define_asset_job("export_job", selection=[training_dataset],
                              description="The deduplicated training dataset (JSONL or parquet shards), and its checks.")
export_checks_job = define_asset_job("export_checks_job", selection=AssetSelection.checks_for_assets(training_dataset),
                                     description="The training dataset's checks alone, on what is on disk now.")
EXPORT_JOBS = [clean_job, export_job, export_checks_job]

