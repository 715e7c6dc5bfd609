"""Errors of the output side: they stop a run; they are never a document's fault."""
from __future__ import annotations

import errno

# A full disk, a quota, a read-only or failing filesystem: the output folder cannot take writes.
RESOURCE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM})


def is_resource_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS


class OutputUnavailable(RuntimeError):
    """The output folder cannot be written (full, over quota, read-only, I/O error)."""

    @classmethod
    def of(cls, folder, exc: OSError) -> "OutputUnavailable":
        what = exc.strerror or str(exc)
        where = f" ({exc.filename})" if exc.filename else ""
        return cls(f"cannot write to the output folder {folder}: {what}{where}; "
                   "nothing was marked problematic, run again once it is writable")


class DamagedStore(RuntimeError):
    """A file of the progress store cannot be read as parquet."""
