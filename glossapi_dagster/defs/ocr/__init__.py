"""OCR remediation: ocr_docs (the pages of the documents triage flagged needs_ocr), its checks and job."""
from dagster import Definitions

from ..quiet import dagster_notes_to_log

with dagster_notes_to_log():  # backfill_policy's "beta" note goes to the log, not to the user's terminal
    from .assets import ocr_docs
    from .checks import OCR_CHECKS
    from .jobs import ocr_job

defs = Definitions(assets=[ocr_docs], asset_checks=OCR_CHECKS, jobs=[ocr_job])
