"""Phase 2 over the selected shards (a backfill: runs of GLOSSAPI_SHARDS_PER_RUN shards)."""
from dagster import define_asset_job

from .assets import math_enriched

math_job = define_asset_job("math_job", selection=[math_enriched],
                            description="Phase 2 on the selected shards: formulas decoded to LaTeX on every GPU.")
