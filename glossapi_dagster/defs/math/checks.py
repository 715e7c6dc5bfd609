"""Asset checks on math_enriched: every extracted PDF of a materialized shard decoded, found
without math, or set aside with a reason; and the outputs of every enriched one there and parsing."""
import json

from dagster import AssetCheckExecutionContext, AssetCheckResult, MetadataValue, asset_check

from ...phases.math import NO_MATH
from ...state.phase_rows import math_targets
from ...pool import FATAL, SUCCESS
from ...state import OutputLayout, ProgressStore
from .assets import math_enriched
from ..check_rows import accounted_for, counts, done_rows, has_reason
from ..resources import CorpusResource

COLUMNS = ["math_status", "math_error", "math_enriched", "formula_total"]
DONE = (SUCCESS, NO_MATH)  # math_row's statuses of a document Phase 2 finished


def _due(context: AssetCheckExecutionContext, corpus: CorpusResource):
    """Rows of the shards math_enriched has materialized that Phase 2 is for (what math_targets
    picks when reprocessing), and those it set aside (fatal: off its list until released)."""
    rows = done_rows(context, corpus, math_enriched.key, COLUMNS)
    if rows.empty:
        return rows
    store = ProgressStore(OutputLayout(corpus.output_dir).store_dir)
    eligible = {r["stem"] for r in math_targets(store, set(rows["shard"]), reprocess=True)}
    return rows[rows["stem"].isin(eligible) | (rows["math_status"] == FATAL)]


@asset_check(asset=math_enriched, description="Every extracted PDF of a materialized shard is enriched, "
             "has no math, or failed / was set aside with a reason (math_error): nothing lost silently.")
def every_pdf_through_math(context: AssetCheckExecutionContext, corpus: CorpusResource) -> AssetCheckResult:
    rows = _due(context, corpus)
    if rows.empty:
        return AssetCheckResult(passed=True, metadata={"documents": 0, "unaccounted": 0})
    status = rows["math_status"]
    ok = status.isin(DONE) | (status.notna() & has_reason(rows, "math_error"))
    return accounted_for(rows, ok, by_outcome=counts(status))


def _broken(layout: OutputLayout, stem: str, formulas) -> str | None:
    """What is wrong with an enriched document's outputs, if anything."""
    missing = [p.name for p in (layout.markdown(stem), layout.latex_map(stem), layout.sidecar("math", stem))
               if not p.exists()]
    if missing:
        return f"{stem}: missing {', '.join(missing)}"
    try:
        entries = [json.loads(line) for line in layout.latex_map(stem).read_text(encoding="utf-8").splitlines()]
        if any("latex" not in e for e in entries):
            return f"{stem}: {layout.latex_map(stem).name} has an entry without latex"
        if formulas == formulas and formulas is not None and len(entries) != int(formulas):  # NaN: not recorded
            return f"{stem}: {len(entries)} entries in {layout.latex_map(stem).name}, formula_total {int(formulas)}"
        json.loads(layout.sidecar("math", stem).read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        return f"{stem}: {type(exc).__name__}: {exc}"[:300]
    return None


@asset_check(asset=math_enriched, description="Every enriched document has its markdown, a latex_map.jsonl "
             "whose every line parses (one per formula) and a math sidecar that parses.")
def math_outputs_exist_and_parse(context: AssetCheckExecutionContext, corpus: CorpusResource) -> AssetCheckResult:
    rows = _due(context, corpus)
    enriched = rows[rows["math_status"] == SUCCESS] if len(rows) else rows
    layout = OutputLayout(corpus.output_dir)
    broken = [b for b in (_broken(layout, r.stem, r.formula_total) for r in enriched.itertuples()) if b]
    return AssetCheckResult(passed=not broken, metadata={
        "checked": len(enriched), "broken": len(broken), "broken_outputs": MetadataValue.json(broken[:100]),
    })


MATH_CHECKS = [every_pdf_through_math, math_outputs_exist_and_parse]
