"""Phase 1 over the selected shards (a backfill: runs of GLOSSAPI_SHARDS_PER_RUN shards)."""
from dagster import define_asset_job

from .assets import extracted_docs

extract_job = define_asset_job("extract_job", selection=[extracted_docs],
                               description="Phase 1 on the selected shards: markdown and Docling JSON.")
