"""GlossAPI's section() and annotate(): sections, annotated_sections, and their jobs."""
from dagster import Definitions

from ..quiet import dagster_notes_to_log

with dagster_notes_to_log():  # backfill_policy's "beta" note goes to the log, not to the user's terminal
    from .assets import annotated_sections, sections
    from .jobs import SECTION_JOBS

defs = Definitions(assets=[sections, annotated_sections], jobs=SECTION_JOBS)
