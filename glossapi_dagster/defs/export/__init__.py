"""GlossAPI's clean() and the training export: cleaned_docs, training_dataset, its checks and jobs."""
from dagster import Definitions

from ..quiet import dagster_notes_to_log

with dagster_notes_to_log():  # backfill_policy's "beta" note goes to the log, not to the user's terminal
    from .assets import cleaned_docs, training_dataset
    from .checks import training_dataset_checks
    from .jobs import EXPORT_JOBS

defs = Definitions(assets=[cleaned_docs, training_dataset], asset_checks=[training_dataset_checks], jobs=EXPORT_JOBS)
