"""What the issue-24 tests share: the CLI as a user runs it (no DAGSTER_HOME unless a test sets
one), the store as the user would read it, and a file read without root's override rights."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from glossapi_dagster.state import OutputLayout, ProgressStore

from .conftest import BIN

CLI = str(BIN / "glossapi-dagster")
POOL = ["--devices", "0", "--accel-type", "cpu", "--num-threads", "1"]
FAST = ["typologio_mas026.pdf", "multicolumn.pdf"]  # born-digital, a page or three: the safe backend in ~0.05 s
# Root reads a chmod-000 file anyway; without these capabilities it is refused as a user would be.
SETPRIV = shutil.which("setpriv")
AS_A_USER = [SETPRIV, "--bounding-set=-dac_override,-dac_read_search"] if SETPRIV else []


def cli(*args, env: dict | None = None, timeout: float = 300, as_user: bool = False) -> subprocess.CompletedProcess:
    """One `glossapi-dagster` call; `as_user`: without root's rights to read what is not readable."""
    env = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}
    prefix = AS_A_USER if as_user and os.geteuid() == 0 else []
    return subprocess.run([*prefix, CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)


def rows(out: Path) -> dict[str, dict]:
    return {r["stem"]: r for r in ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")}


def errors(text: str) -> list[str]:
    """The lines of stderr that are not Dagster's import-time warnings nor a progress bar."""
    return [line for line in text.replace("\r", "\n").splitlines()
            if line.strip() and "Warning:" not in line and "return fn(" not in line
            and not line.startswith(("extract:", "ocr:", "math:"))]


needs_setpriv = pytest.mark.skipif(os.geteuid() == 0 and not SETPRIV,
                                   reason="as root, an unreadable file needs setpriv (util-linux) to stay unreadable")
