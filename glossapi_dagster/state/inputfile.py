"""One input file as the manifest records it: its bytes' size, mtime, sha256 and kind, or why
they cannot be had. Only a regular file is read (a named pipe would block the scan for ever);
what it is comes from its bytes (state/filetype.py), not from its name."""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from .filetype import HEAD_BYTES, sniff_file, sniff_head
from .fspath import shown

# A row whose problem is getting at the file (not its content): judged again at every scan, so a
# fixed link, a chmod, a restored file make it pending again. "unreadable:" is also what a worker
# records for a file that vanished under it (backends/extract/pdf_diagnosis.py).
ACCESS_PROBLEMS = ("unreadable:", "broken symlink", "symlink loop", "symlink points outside", "not a regular file")

_KINDS = {stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFDIR: "a folder"}


class NotRegular(OSError):
    """The path is not a regular file (a pipe, a device, a socket, a folder)."""


def escapes(path: str, root: Path) -> str | None:
    """Why a file must not be followed: a symlink whose target lies outside the input folder."""
    if not os.path.islink(path):
        return None
    try:
        target = Path(path).resolve(strict=True)
    except FileNotFoundError:
        return f"broken symlink (to {shown(os.readlink(path))}); not followed"
    except (OSError, RuntimeError) as exc:  # ELOOP; RuntimeError before Python 3.13
        return f"symlink loop ({shown(exc)}); not followed"
    if not target.is_relative_to(Path(root).resolve()):
        return f"symlink points outside the input folder (to {shown(target)}); not followed"
    return None


def open_regular(path: str):
    """The file open for reading, if it is a regular file; O_NONBLOCK so that a pipe put in its
    place since it was listed cannot block us."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise NotRegular(f"not a regular file ({_KINDS.get(stat.S_IFMT(st.st_mode), 'a special file')}); not read")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def sha256_of(path: str) -> str:
    with open_regular(path) as f:
        return _hash(f)[0]


def _hash(f) -> tuple[str, bytes]:
    h, head = hashlib.sha256(), b""
    for chunk in iter(lambda: f.read(1 << 20), b""):
        head = head or chunk[:HEAD_BYTES]
        h.update(chunk)
    return h.hexdigest(), head


def judge(path: str, root: Path) -> dict:
    """The manifest's columns for the file at path: size, mtime, sha256, file_ext (what the bytes
    are; the name's extension when they are no document: the worker refuses those with the
    reason, before any converter sees them), download_success; and for a file that cannot be
    read, extract_status 'problematic' with the reason."""
    name_ext = Path(path).suffix.lower().lstrip(".")
    reason = escapes(path, root)
    if reason:
        return _refused(reason, name_ext)
    try:
        with open_regular(path) as f:
            st = os.fstat(f.fileno())
            sha, head = _hash(f)
        kind = sniff_file(path, name_ext) if head.startswith(b"PK\x03\x04") else sniff_head(head, name_ext)
    except NotRegular as exc:
        return _refused(str(exc), name_ext)
    except OSError as exc:
        return _refused(f"unreadable: {exc.strerror or shown(exc)}", name_ext)
    return {"download_success": True, "download_error": None, "size": st.st_size, "mtime": st.st_mtime,
            "sha256": sha, "file_ext": kind.kind or name_ext}


def _refused(reason: str, name_ext: str) -> dict:
    return {"download_success": False, "download_error": reason, "extract_status": "problematic",
            "extract_error": reason, "processing_stage": "download", "size": None, "mtime": None, "sha256": None,
            "file_ext": name_ext}
