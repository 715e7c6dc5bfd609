"""The code location: `dagster dev` / `dagster-webserver -w workspace.yaml` load `defs` from here.

One Definitions merged from each domain's (defs/<domain>/__init__.py: its assets, checks, jobs,
sensors and schedules), with what they share: the resources, the console logger, the sensor on
lost runs. Corpus and the CLI run its jobs in process through runs.py, which imports this module
(never the other way)."""
from dagster import Definitions

from .datamodel import build
from .defs import download, export, extract, math, ocr, sections
from .defs.console import console_logger
from .defs.download.config import DownloadConfig, DownloadResultsConfig
from .defs.extract.config import ExtractConfig
from .defs.lost_runs import lost_runs_sensor
from .defs.math.config import MathConfig
from .defs.ocr.config import OcrConfig
from .defs.resources import CorpusResource, default_gpu_pool, default_input_dir, default_output_dir
from .defs.sections.config import AnnotateConfig, SectionConfig


def _shared() -> Definitions:
    """What every domain uses (made in a function: Dagster allows one Definitions at module scope)."""
    return Definitions(
        sensors=[lost_runs_sensor],
        loggers={"console": console_logger},  # Dagster's own, able to leave stack traces to the event log
        resources={
            "corpus": CorpusResource(input_dir=default_input_dir(), output_dir=default_output_dir()),
            "gpu_pool": default_gpu_pool(),
        },
    )


defs = Definitions.merge(download.defs, extract.defs, ocr.defs, math.defs, export.defs, sections.defs, _shared())

# each asset's run config class (its options model field for field), by the asset's name
CONFIG_OF_ASSET = {"download_results": DownloadResultsConfig, "downloaded_files": DownloadConfig,
                   "extracted_docs": ExtractConfig, "ocr_docs": OcrConfig, "math_enriched": MathConfig,
                   "sections": SectionConfig, "annotated_sections": AnnotateConfig}


def checked_run_config(asset: str, config: dict) -> dict:
    """An asset's run config checked against its options model before the run (one clear error,
    no run started); the values given, nothing added, so the asset's defaults stay its own."""
    build(CONFIG_OF_ASSET[asset].OPTIONS, **config)
    return config
