"""The GLOSSAPI_* environment variables, declared and validated in one place.

`settings()` reads them each time it is called (a test's monkeypatch, a deployment's change are
seen), and a bad value is one `SettingsError` naming the variable. The code location calls it at
load (defs/resources.py, defs/automation.py), every phase before its pool starts; the worker-side
readers (the pool's log banner, the OCR backends) therefore only ever see values checked here.
"""
from __future__ import annotations

import os
import re
from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .options import ManifestOptions, PoolOptions, accel_name

PREFIX = "GLOSSAPI_"
CRON = re.compile(r"^\s*([0-9A-Za-z*/,?-]+\s+){4}[0-9A-Za-z*/,?-]+\s*$")


class SettingsError(ValueError):
    """A GLOSSAPI_* variable with a value that cannot be used."""


def _default(model, name):
    return model.model_fields[name].default


class Settings(BaseModel):
    """Field names are the variables' names without GLOSSAPI_ and lower-cased."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    input_dir: str | None = Field(None, description="The corpus resource's input folder (default: the bundled sample)")
    output_dir: str | None = Field(None, description="The corpus resource's output folder (default: out/)")
    devices: list[int] | None = Field(None, description="The code location's devices, comma-separated: 0,1,2,3")
    use_gpus: Literal["single", "multi"] = Field(_default(PoolOptions, "use_gpus"),
                                                 description="The code location's use_gpus")
    accel_type: Literal["auto", "cuda", "cpu"] = Field(_default(PoolOptions, "accel_type"),
                                               description="The code location's accel_type")
    input_format: Literal["pdf", "docx", "html", "xml", "md", "pptx", "all"] = Field(
        _default(ManifestOptions, "input_format"), description="What the new-documents sensor scans for")
    shard_size: int = Field(_default(ManifestOptions, "shard_size"), ge=1,
                            description="Files per new shard, for the sensor")
    sensor_interval: int = Field(60, ge=1, description="Seconds between two looks of the new-documents sensor")
    retry_cron: str = Field("0 3 * * *", description="When missing_shards_schedule runs (cron)")
    problematic_warn: float = Field(0.25, ge=0, le=1, description="Share of problematic documents past which "
                                                                  "the problematic_share check warns")
    math_respawn_cap: int = Field(5, ge=0, description="Respawns per math worker (0: never respawn)")
    worker_log_dir: str | None = Field(None, description="Folder of worker markers and logs "
                                                         "(default OUT/logs/<phase>_workers)")
    worker_log_verbose: bool = Field(True, description="0: no binding banner in the worker logs")
    rapidocr_onnx_dir: str | None = Field(None, description="Folder of RapidOCR's ONNX models (a Greek recogniser)")
    ocr_max_pages: int | None = Field(None, ge=1, description="OCR only the first N pages of each document "
                                                              "when no max_pages is given")
    greek_dictionary: str | None = Field(None, description="A hunspell .dic of Greek word forms for the OCR repairs "
                                                           "(default: Debian's hunspell-el, /usr/share/hunspell/el_GR.dic)")
    # Many machines (README "Across machines"): a backfill's runs, and how a lost node is noticed
    shards_per_run: int = Field(4, ge=0, description="Shards per run when a backfill over the pool assets is cut "
                                                     "into runs (BackfillPolicy.multi_run); 0: one run for all, "
                                                     "as `dagster asset materialize --partition-range` needs")
    heartbeat_timeout: float | None = Field(None, gt=0, description="Seconds a running pool may go without a "
                                                                   "heartbeat before its run is failed as lost "
                                                                   "(default: 3 of its summary intervals)")
    lost_run_poll: int = Field(15, ge=1, description="Seconds between two looks of lost_runs_sensor")

    @field_validator("devices", mode="before")
    @classmethod
    def _ids(cls, value):
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not parts or not all(p.isdigit() for p in parts):
                raise ValueError("must be comma-separated device ids like 0,1")
            return [int(p) for p in parts]
        return value

    @field_validator("accel_type", mode="before")
    @classmethod
    def _accel(cls, value):
        return accel_name(value)

    @field_validator("retry_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not CRON.match(value):
            raise ValueError("must be a cron string of five fields like '0 3 * * *'")
        return value


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The variables now set (an empty one counts as unset), validated."""
    environ = os.environ if environ is None else environ
    values = {name: environ[env_name(name)].strip() for name in Settings.model_fields
              if environ.get(env_name(name), "").strip()}
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = [f"{env_name(str(e['loc'][0]))}={values.get(str(e['loc'][0]))!r}: "
                    f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        raise SettingsError("bad environment variable " + "; ".join(problems)) from None
