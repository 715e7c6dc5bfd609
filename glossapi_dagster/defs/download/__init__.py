"""The manifest and the downloads: download_results (the input folder scanned), link_list (a list
of links entered), downloaded_files (the links fetched); their checks, jobs and sensor."""
from dagster import Definitions

from ..quiet import dagster_notes_to_log

with dagster_notes_to_log():  # backfill_policy's "beta" note goes to the log, not to the user's terminal
    from .assets import downloaded_files, link_list
    from .checks import DOWNLOAD_CHECKS
    from .jobs import download_job, link_list_job, manifest_job
    from .manifest import download_results
    from .sensors import new_link_lists_sensor

defs = Definitions(assets=[link_list, downloaded_files, download_results], asset_checks=DOWNLOAD_CHECKS,
                   jobs=[manifest_job, link_list_job, download_job], sensors=[new_link_lists_sensor])
