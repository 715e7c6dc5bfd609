"""The options of every phase and the environment's settings: plain pydantic models that know
nothing of Dagster, read by every door (the assets' Config, Corpus, the CLI, the sample runner)."""
from .engines import (
    BUILTIN_MATH_ENGINES, math_engine_plugin, register_math_engine, register_phase1_backend,
    registered_math_engines,
)
from .options import (
    AnnotateOptions, DownloadOptions, ExtractOptions, ManifestOptions, MathOptions, OcrOptions, OptionsError,
    PoolOptions, SectionOptions, build, choices_of,
)
from .settings import Settings, SettingsError, settings

__all__ = [
    "AnnotateOptions", "SectionOptions", "BUILTIN_MATH_ENGINES", "DownloadOptions", "ExtractOptions", "ManifestOptions",
    "MathOptions", "OcrOptions", "OptionsError",
    "PoolOptions", "Settings", "SettingsError", "build", "choices_of", "math_engine_plugin",
    "register_math_engine", "register_phase1_backend", "registered_math_engines", "settings",
]
