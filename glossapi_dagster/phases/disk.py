"""A full or read-only OUT met while writing a document's outputs: the machine's fault, not the
document's. The run stops (StopRun) and the document stays pending for a rerun."""
from __future__ import annotations

from contextlib import contextmanager

from ..pool import StopRun
from ..state.errors import OutputUnavailable, is_resource_error


@contextmanager
def stop_on_disk_faults(root):
    try:
        yield
    except OSError as exc:
        if is_resource_error(exc):
            raise StopRun(str(OutputUnavailable.of(root, exc))) from exc
        raise
