"""Phase 1: extracted_docs (markdown and Docling JSON of every document), its checks, its job, and
the sensor and schedule that start it."""
from dagster import Definitions

from ..quiet import dagster_notes_to_log

with dagster_notes_to_log():  # backfill_policy's "beta" note goes to the log, not to the user's terminal
    from .assets import extracted_docs
    from .automation import missing_shards_schedule, new_documents_sensor
    from .checks import every_document_accounted_for, outputs_exist_and_parse, problematic_share
    from .jobs import extract_job

defs = Definitions(assets=[extracted_docs], jobs=[extract_job], sensors=[new_documents_sensor],
                   schedules=[missing_shards_schedule],
                   asset_checks=[every_document_accounted_for, outputs_exist_and_parse, problematic_share])
