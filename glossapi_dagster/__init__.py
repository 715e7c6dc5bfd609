"""glossapi-dagster: GlossAPI's multi-GPU document pipeline as a Dagster project.

`from glossapi_dagster import Corpus` is GlossAPI's API. The import is lazy: worker processes
import this package too, and must not pay for Dagster.
"""


def __getattr__(name: str):
    if name == "Corpus":
        from .corpus import Corpus

        return Corpus
    raise AttributeError(f"module 'glossapi_dagster' has no attribute {name!r}")


__all__ = ["Corpus"]
