"""State on disk: the progress store, the skip-list and the output layout."""
from .layout import OutputLayout, UnsafeStem
from .schema import COLUMNS, KEY
from .skiplist import SkipList
from .store import ProgressStore

__all__ = ["OutputLayout", "UnsafeStem", "COLUMNS", "KEY", "SkipList", "ProgressStore"]
