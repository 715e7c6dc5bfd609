"""The code location: `dagster dev` / `dagster-webserver -w workspace.yaml` load `defs` from here, and
Corpus and the runner run its jobs (defs/materialize.py), with their own resources."""
from dagster import Definitions

from .defs.assets import (annotated_sections, cleaned_docs, download_results, downloaded_files, extracted_docs,
                          link_list, math_enriched, ocr_docs, sections, training_dataset)
from .defs.console import console_logger
from .defs.automation import missing_shards_schedule, new_documents_sensor
from .defs.download_checks import DOWNLOAD_CHECKS
from .defs.download_sensor import new_link_lists_sensor
from .defs.checks import every_document_accounted_for, outputs_exist_and_parse, problematic_share
from .defs.export_checks import training_dataset_checks
from .defs.export_jobs import EXPORT_JOBS
from .defs.jobs import download_job, extract_job, link_list_job, manifest_job, math_job, ocr_job
from .defs.lost_runs import lost_runs_sensor
from .defs.math_checks import MATH_CHECKS
from .defs.ocr_checks import OCR_CHECKS
from .defs.section_jobs import SECTION_JOBS
from .defs.resources import CorpusResource, default_gpu_pool, default_input_dir, default_output_dir

defs = Definitions(
    assets=[link_list, downloaded_files, download_results, extracted_docs, ocr_docs, math_enriched, cleaned_docs,
            sections, annotated_sections, training_dataset],
    jobs=[link_list_job, download_job, manifest_job, extract_job, ocr_job, math_job, *EXPORT_JOBS, *SECTION_JOBS],
    asset_checks=[every_document_accounted_for, outputs_exist_and_parse, problematic_share,
                  *OCR_CHECKS, *MATH_CHECKS, training_dataset_checks, *DOWNLOAD_CHECKS],
    sensors=[new_documents_sensor, new_link_lists_sensor, lost_runs_sensor],
    loggers={"console": console_logger},  # Dagster's own, able to leave stack traces to the event log
    schedules=[missing_shards_schedule],
    resources={
        "corpus": CorpusResource(input_dir=default_input_dir(), output_dir=default_output_dir()),
        "gpu_pool": default_gpu_pool(),
    },
)
