"""math_enriched: the formulas of every extracted PDF of the selected shards, decoded to LaTeX."""

from dagster import Backoff, MetadataValue, RetryPolicy

from ...datamodel import MathOptions
from ...phases.math import respawn_cap, run_math
from ...pool import FATAL, SKIPPED, SUCCESS, WorkerSetupError
from ...state.phase_rows import math_targets
from .config import MathConfig
from ..resources import GpuPoolResource
from ..extract.assets import extracted_docs
from ..pool_asset import PoolPhase, Step, pool_asset

# The step's own retries: when the controller itself fails (not a worker: those the pool
# respawns), Dagster runs the step again, which resumes from the store.
STEP_RETRIES = RetryPolicy(max_retries=2, delay=5, backoff=Backoff.EXPONENTIAL)


def respawn_policy(options: MathConfig | MathOptions, gpu_pool: GpuPoolResource) -> RetryPolicy:
    """The math workers' respawn cap as a Dagster RetryPolicy, delay and backoff from the pool."""
    return RetryPolicy(max_retries=respawn_cap(options.math_respawn_cap), delay=gpu_pool.respawn_delay or None,
                       backoff=gpu_pool.backoff())


def _prepare(step: Step, pool_config) -> str:
    options = step.options
    pool_config.respawn = respawn_policy(options, step.gpu_pool)  # GLOSSAPI_MATH_RESPAWN_CAP=abc: ValueError
    return (f"; respawn cap {pool_config.respawn.max_retries} (math_respawn_cap={options.math_respawn_cap}, "
            "else GLOSSAPI_MATH_RESPAWN_CAP, else 5)")


def _targets(step: Step) -> list[dict]:
    return math_targets(step.store, step.keys, reprocess=step.options.reprocess, skip=step.skip)


def _has_math(outcome) -> bool:
    return outcome.status == SUCCESS and outcome.result["formula_total"] > 0


def _shard_extras(step: Step, outcomes, stem_of: dict) -> dict:
    results = [o.result for o in outcomes if o.status == SUCCESS]
    return {
        "enriched": sum(1 for o in outcomes if _has_math(o)),
        "without_math": sum(1 for r in results if r["formula_total"] == 0),
        "formulas": sum(r["formula_total"] for r in results),
        "formulas_accepted": sum(r["math_accepted"] for r in results),
        "broken_tounicode": sum(r.get("broken_tounicode", 0) for r in results),
        "quarantined": MetadataValue.json(sorted(stem_of[o.item] for o in outcomes if o.status in (FATAL, SKIPPED))[:500]),
    }


def _run_extras(step: Step, report) -> dict:
    return {
        "engine": MetadataValue.json(sorted({o.result["engine"] for o in report.outcomes if o.status == SUCCESS})),
        "respawn_cap": respawn_cap(step.options.math_respawn_cap),
        "exhausted_devices": MetadataValue.json(report.exhausted),
    }


math_enriched = pool_asset(PoolPhase(
    name="math_enriched", phase="math", config_type=MathConfig, deps=[extracted_docs],
    description="Formulas decoded to LaTeX in markdown/<stem>.md ($...$, $$...$$), json/<stem>.latex_map.jsonl, "
                "sidecars/math/<stem>.json; workers respawned up to GLOSSAPI_MATH_RESPAWN_CAP, then the "
                "documents they held go to the fatal skip-list and problematic_math quarantine.",
    targets=_targets, run=run_math, item="stem", prepare=_prepare, shows=_has_math,
    todo_line="{n} extracted PDFs to look for formulas in {shards} shard(s)",
    setup_errors=(WorkerSetupError,), shard_extras=_shard_extras, run_extras=_run_extras,
    drop=("pages", "pages_per_s"), retry_policy=STEP_RETRIES,
))
