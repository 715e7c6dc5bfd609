"""math_enriched: the formulas of every extracted PDF of the selected shards, decoded to LaTeX."""

from dagster import (
    AssetExecutionContext, Backoff, Failure, MaterializeResult, MetadataValue, RetryPolicy, asset,
)

from ...datamodel import MathOptions, OptionsError
from ...phases.math import math_targets, respawn_cap, run_math
from ...pool import FATAL, SKIPPED, SUCCESS, WorkerSetupError
from ...state import OutputLayout, ProgressStore, SkipList
from ..config import MathConfig
from ..metadata import run_metadata
from ..resources import CorpusResource, GpuPoolResource
from .extract import extracted_docs
from .selection import ON_THE_POOL, nothing_to_do

# The step's own retries: when the controller itself fails (not a worker: those the pool
# respawns), Dagster runs the step again, which resumes from the store.
STEP_RETRIES = RetryPolicy(max_retries=2, delay=5, backoff=Backoff.EXPONENTIAL)


def respawn_policy(options: MathConfig | MathOptions, gpu_pool: GpuPoolResource) -> RetryPolicy:
    """The math workers' respawn cap as a Dagster RetryPolicy, delay and backoff from the pool."""
    return RetryPolicy(max_retries=respawn_cap(options.math_respawn_cap), delay=gpu_pool.respawn_delay or None,
                       backoff=gpu_pool.backoff())


@asset(
    **ON_THE_POOL,
    deps=[extracted_docs],
    retry_policy=STEP_RETRIES,
    description="Formulas decoded to LaTeX in markdown/<stem>.md ($...$, $$...$$), json/<stem>.latex_map.jsonl, "
                "sidecars/math/<stem>.json; workers respawned up to GLOSSAPI_MATH_RESPAWN_CAP, then the "
                "documents they held go to the fatal skip-list and problematic_math quarantine.",
)
def math_enriched(context: AssetExecutionContext, config: MathConfig, corpus: CorpusResource,
                  gpu_pool: GpuPoolResource):
    layout = OutputLayout(corpus.output_dir)
    store = ProgressStore(layout.store_dir)
    keys = set(context.partition_keys)
    try:
        options = config.options()
        policy = respawn_policy(options, gpu_pool)
    except (OptionsError, ValueError) as exc:  # a bad option, GLOSSAPI_MATH_RESPAWN_CAP=abc: a retry cannot fix it
        raise Failure(str(exc), allow_retries=False) from exc
    rows = math_targets(store, keys, reprocess=options.reprocess, skip=SkipList(layout.skiplist).read())
    pool_config = gpu_pool.pool_config(str(layout.root), "math")
    pool_config.respawn = policy
    context.log.info(f"{len(rows)} extracted PDFs to look for formulas in {len(keys)} shard(s); respawn cap "
                     f"{policy.max_retries} (math_respawn_cap={options.math_respawn_cap}, else "
                     f"GLOSSAPI_MATH_RESPAWN_CAP, else 5)")
    if not rows:
        nothing_to_do(context)
        return
    try:
        report = run_math(
            layout.root, rows, pool_config, on_summary=lambda s: context.log.info(s.line()), on_pool=gpu_pool.track,
            options=options, accel_type=gpu_pool.accel_type,
        )
    except WorkerSetupError as exc:  # e.g. CodeFormula's weights missing: retrying cannot help
        raise Failure(str(exc), allow_retries=False) from exc
    stem_of = {r["stem"]: r["stem"] for r in rows}
    results = {o.item: o.result for o in report.outcomes if o.status == SUCCESS}
    enriched = sorted(s for s, r in results.items() if r["formula_total"] > 0)
    set_aside = sorted(o.item for o in report.outcomes if o.status in (FATAL, SKIPPED))
    meta = run_metadata(report, stem_of, layout.markdown(enriched[0]) if enriched else None)
    meta.pop("pages", None)
    meta.pop("pages_per_s", None)
    meta.update({
        "enriched": len(enriched),
        "without_math": len(results) - len(enriched),
        "formulas": sum(r["formula_total"] for r in results.values()),
        "formulas_accepted": sum(r["math_accepted"] for r in results.values()),
        "broken_tounicode": sum(r.get("broken_tounicode", 0) for r in results.values()),
        "engine": MetadataValue.json(sorted({r["engine"] for r in results.values()})),
        "respawn_cap": policy.max_retries,
        "exhausted_devices": MetadataValue.json(report.exhausted),
        "quarantined": MetadataValue.json(set_aside[:500]),
    })
    yield MaterializeResult(metadata=meta)
