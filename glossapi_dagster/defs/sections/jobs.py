"""The sections' jobs: GlossAPI's section() and annotate()."""
from dagster import define_asset_job

from .assets import annotated_sections, sections

section_job = define_asset_job("section_job", selection=[sections],
                               description="GlossAPI's section(): OUT/sections/sections_for_annotation.parquet.")
annotate_job = define_asset_job("annotate_job", selection=[annotated_sections],
                                description="GlossAPI's annotate(): classified and fully annotated sections.")
SECTION_JOBS = [section_job, annotate_job]

