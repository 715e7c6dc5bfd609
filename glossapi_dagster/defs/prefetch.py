"""Modules a later step of the run needs, imported on a thread while the controller waits for its
workers: the asset checks validate a sample of Docling JSON with docling-core, whose import
(~0.4 s) a short run (the CLI on a few pages) would otherwise wait for after its documents."""
from __future__ import annotations

import importlib
import sys
import threading

_started: set[str] = set()


def prefetch(*modules: str) -> None:
    for name in modules:
        if name in _started or name in sys.modules:
            continue
        _started.add(name)
        threading.Thread(target=_import, args=(name,), name=f"prefetch {name}", daemon=True).start()


def _import(name: str) -> None:
    try:
        importlib.import_module(name)
    except Exception:  # the step that needs it imports it again, and says what is wrong
        pass
