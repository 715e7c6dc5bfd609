"""What every phase's Task carries to its workers: the phase's options model whole, as a
read-only view, and the small record of what the controller resolved before any worker started.

Why a view and not the pydantic model itself: a worker only unpickles its Task, and unpickling a
model imports pydantic (and datamodel/options.py: a tenth of a second of each worker's start, on
the one-page CLI's critical path, issue #29). The options were validated once, where they
entered (Corpus, the CLI, the Dagster config); the view keeps their values, read as
`task.options.force_ocr` on both sides, and refuses to be changed."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace


class OptionsView(SimpleNamespace):
    """A validated options model's fields by name, read-only; pickles as a plain dict."""

    @classmethod
    def of(cls, model) -> "OptionsView":
        return model if isinstance(model, cls) else cls(**model.model_dump())

    def __setattr__(self, name, value):
        raise AttributeError(f"options are read-only on a Task (validated once, where they entered): {name}")

    __delattr__ = __setattr__


@dataclass(frozen=True)
class Resolved:
    """What the controller decided for the run, once, before any worker starts."""

    accel_type: str = "cuda"         # 'cuda' or 'cpu': accel_type 'auto' decided by the GPU preflight
    ocr_engine: str = "rapidocr"     # rapidocr | tesseract: ocr_engine 'auto' decided by the OCR preflight
    ocr_options: dict = field(default_factory=dict)     # the OCR engine's settings (OcrOptions.engine_options())
    extra_backends: dict = field(default_factory=dict)  # registered Phase 1 backends: name -> "module:factory"
