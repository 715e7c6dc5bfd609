"""State on disk: the progress store, the skip-list and the output layout."""
from .layout import OutputLayout, UnsafeStem

__all__ = ["OutputLayout", "UnsafeStem", "COLUMNS", "KEY", "SkipList", "ProgressStore"]

_LAZY = {"COLUMNS": "schema", "KEY": "schema", "SkipList": "skiplist", "ProgressStore": "store"}


def __getattr__(name: str):
    """The store's modules pull in pyarrow and pandas (0.7 s): workers, which only write files,
    never import them."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
