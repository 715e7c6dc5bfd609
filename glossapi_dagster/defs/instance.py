"""The Dagster instance a Corpus call (and so a CLI command) runs on: DAGSTER_HOME's, or a throw-away
one. No Dagster import at the top: the CLI's start-up does not pay for it."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

INSTANCE_DIR_PREFIX = "glossapi-instance-"  # + pid: an ephemeral instance's folder under $TMPDIR


class call_instance:
    """The instance DAGSTER_HOME names, or an ephemeral one when it is unset (its folder named by
    our pid, so that one left by a run killed outright is removed at the next start, and the CLI's
    Ctrl-C, which exits at once, removes its own: remove_instance_dirs)."""

    def __enter__(self):
        from dagster import DagsterInstance

        self.folder = None
        if os.environ.get("DAGSTER_HOME"):
            self.instance = DagsterInstance.get()
            return self.instance
        remove_instance_dirs(stale=True)
        self.folder = tempfile.mkdtemp(prefix=f"{INSTANCE_DIR_PREFIX}{os.getpid()}-")
        self.instance = DagsterInstance.ephemeral(tempdir=self.folder)
        return self.instance

    def __exit__(self, *exc):
        self.instance.dispose()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def remove_instance_dirs(stale: bool = False) -> None:
    """This process's ephemeral instance folders; with stale, those of processes no longer alive."""
    from ..pool.pool import pid_alive

    for folder in Path(tempfile.gettempdir()).glob(f"{INSTANCE_DIR_PREFIX}*-*"):
        pid = folder.name[len(INSTANCE_DIR_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and (not pid_alive(int(pid)) if stale else int(pid) == os.getpid()):
            shutil.rmtree(folder, ignore_errors=True)
