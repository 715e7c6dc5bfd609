"""What the shard-partitioned assets share: their @asset arguments, and a rerun with nothing left
(the rows they pick are state/phase_rows.py's queries)."""
from __future__ import annotations

from dagster import AssetExecutionContext, AssetMaterialization, BackfillPolicy

from ..datamodel import settings
from .partitions import shards

# The @asset arguments of every asset that runs on the worker pool, one shard range per run.
# A backfill over many shards becomes runs of GLOSSAPI_SHARDS_PER_RUN shards each, which the run
# queue and the run launcher place on the machines (one run per GPU node in deploy/celery and
# deploy/k8s): a run of 4 shards of 1000 documents keeps an 8-GPU node busy for tens of minutes, so
# its workers' start-up (a minute at most) costs a few per cent, while a corpus of 100 shards still
# makes 25 runs to spread, and a lost node costs at most one run's unfinished part. 0: a backfill
# is one run (BackfillPolicy.single_run), which Dagster's CLI needs to run a partition range.
_PER_RUN = settings().shards_per_run
ON_THE_POOL = dict(
    group_name="glossapi",
    partitions_def=shards,
    backfill_policy=BackfillPolicy.multi_run(_PER_RUN) if _PER_RUN else BackfillPolicy.single_run(),
    pool="gpu",                                   # one run on a machine's GPUs at a time (deploy/*.yaml)
    output_required=False,                        # a rerun with nothing left records nothing
)


def nothing_to_do(context: AssetExecutionContext) -> None:
    """A rerun that found nothing left records no new materialization of the shards already
    materialized (a hundred events, and the asset checks, for nothing); shards never recorded,
    because the run that did their work was killed before it could, are recorded now."""
    done = context.instance.get_materialized_partitions(context.asset_key)
    late = [key for key in context.partition_keys if key not in done]
    for key in late:
        context.log_event(AssetMaterialization(asset_key=context.asset_key, partition=key, metadata={
            "processed": 0, "problematic": 0, "skipped": 0, "note": "work done by an earlier, interrupted run"}))
    context.log.info(f"nothing left to do in {len(context.partition_keys)} shard(s); "
                     f"{len(late)} recorded now that an earlier run had finished")
