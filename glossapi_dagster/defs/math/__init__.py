"""Phase 2: math_enriched (the formulas of every extracted PDF decoded to LaTeX), its checks and job."""
from dagster import Definitions

from ..quiet import dagster_notes_to_log

with dagster_notes_to_log():  # backfill_policy's "beta" note goes to the log, not to the user's terminal
    from .assets import math_enriched
    from .checks import MATH_CHECKS
    from .jobs import math_job

defs = Definitions(assets=[math_enriched], asset_checks=MATH_CHECKS, jobs=[math_job])
