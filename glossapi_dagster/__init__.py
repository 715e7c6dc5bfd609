"""glossapi-dagster: GlossAPI's multi-GPU document pipeline as a Dagster project.

`from glossapi_dagster import Corpus` (and GlossSectionClassifier) is GlossAPI's API. The import is lazy: worker processes
import this package too, and must not pay for Dagster.
"""


def __getattr__(name: str):
    if name == "Corpus":
        from .corpus import Corpus

        return Corpus
    if name == "GlossSectionClassifier":
        from .sections.glossapi_classifier import GlossSectionClassifier

        return GlossSectionClassifier
    raise AttributeError(f"module 'glossapi_dagster' has no attribute {name!r}")


__all__ = ["Corpus", "GlossSectionClassifier"]
