"""The code location: `dagster dev` / `dagster-webserver -w workspace.yaml` load `defs` from here."""
from dagster import Definitions

from .defs.assets import download_results, extracted_docs
from .defs.jobs import extract_job, manifest_job
from .defs.resources import CorpusResource, GpuPoolResource, default_input_dir, default_output_dir

defs = Definitions(
    assets=[download_results, extracted_docs],
    jobs=[manifest_job, extract_job],
    resources={
        "corpus": CorpusResource(input_dir=default_input_dir(), output_dir=default_output_dir()),
        "gpu_pool": GpuPoolResource(),
    },
)
