"""The sections' jobs, and running them in process (what Corpus.section / annotate and the CLI call)."""
from dagster import DagsterInstance, ExecuteInProcessResult, define_asset_job

from .assets.sections import annotated_sections, sections
from .config import checked_run_config

section_job = define_asset_job("section_job", selection=[sections],
                               description="GlossAPI's section(): OUT/sections/sections_for_annotation.parquet.")
annotate_job = define_asset_job("annotate_job", selection=[annotated_sections],
                                description="GlossAPI's annotate(): classified and fully annotated sections.")
SECTION_JOBS = [section_job, annotate_job]


def materialize_sections(instance: DagsterInstance, resources: dict, **config) -> ExecuteInProcessResult:
    from .materialize import run_job

    config = checked_run_config("sections", config)
    return run_job(instance, resources, section_job.name, {"ops": {"sections": {"config": config}}})


def materialize_annotation(instance: DagsterInstance, resources: dict, **config) -> ExecuteInProcessResult:
    from .materialize import run_job

    config = checked_run_config("annotated_sections", config)
    return run_job(instance, resources, annotate_job.name, {"ops": {"annotated_sections": {"config": config}}})
