"""Real servers for the operations tests: Dagster's webserver and daemon, and PostgreSQL, on loopback.

Each is started in its own process session (setsid) so that it can be stopped as a group by its
pid: `dagster-*` started with `&` from a script ignores SIGINT/SIGTERM otherwise.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from .conftest import BIN, REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


class DagsterServices:
    """dagster-webserver + dagster-daemon on one instance, loading workspace.yaml."""

    def __init__(self, home: Path, env: dict[str, str], logs: Path):
        self.home, self.port, self.logs = home, free_port(), logs
        self.env = {**os.environ, **env, "DAGSTER_HOME": str(home)}
        self.procs: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "DagsterServices":
        try:
            return self._start_all()
        except BaseException:
            self.__exit__()  # a failed start must not leave a webserver behind
            raise

    def _start_all(self) -> "DagsterServices":
        self.logs.mkdir(parents=True, exist_ok=True)
        # Create the instance's databases first: the webserver and the daemon creating a fresh
        # SQLite schema at the same moment can leave two alembic heads.
        migrate = self.cli("instance", "migrate", timeout=300)
        if migrate.returncode:
            raise RuntimeError(f"dagster instance migrate failed: {migrate.stderr[-2000:]}")
        self._start("webserver", [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1",
                                  "-p", str(self.port)])
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=2):
                    break
            except OSError:
                time.sleep(1)
        else:
            raise RuntimeError(f"webserver did not start: {(self.logs / 'webserver.log').read_text()[-2000:]}")
        self.wait_for(lambda: self.graphql("{ workspaceOrError { ... on Workspace { locationEntries { "
                                           "locationOrLoadError { __typename } } } } }"), timeout=120,
                      what="code location loaded",
                      ok=lambda r: "RepositoryLocation" in json.dumps(r))
        self._start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"])
        return self

    def _start(self, name: str, cmd: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "w")
        self.procs.append(subprocess.Popen(cmd, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True))

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            stop_group(proc)

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            data = json.loads(resp.read())
        if data.get("errors"):
            raise RuntimeError(data["errors"])
        return data["data"]

    @staticmethod
    def wait_for(fn, timeout: float, what: str, ok=bool, interval: float = 1.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = fn()
                if ok(last):
                    return last
            except Exception as exc:  # servers still starting
                last = exc
            time.sleep(interval)
        raise TimeoutError(f"timed out waiting for {what}; last: {str(last)[:2000]}")

    def cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "dagster"), *args], cwd=REPO, env=self.env, capture_output=True, text=True,
                              timeout=timeout)


class PostgresServer:
    """Debian's PostgreSQL, a fresh cluster in a temp folder on a loopback port, run as `postgres`;
    also on `addresses` (e.g. the host ends of test nodes' network namespaces), open to `clients` (CIDR)."""

    def __init__(self, folder: Path, addresses: tuple[str, ...] = (), clients: tuple[str, ...] = ()):
        self.folder, self.port = folder, free_port()
        self.addresses, self.clients = ("127.0.0.1", *addresses), clients
        self.bin = next(Path("/usr/lib/postgresql").glob("*/bin"))
        self.user, self.password, self.db = "dagster", "dagster", "dagster"

    def _as_postgres(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*runner, *cmd], capture_output=True, text=True, timeout=120)
        if check and done.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stdout}{done.stderr}")
        return done

    def __enter__(self) -> "PostgresServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        data = self.folder / "data"
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres", str(self.folder)], check=True)
            os.chmod(self.folder, 0o755)
            for parent in self.folder.parents:  # postgres must be able to reach its folder
                if parent == Path("/"):
                    break
                os.chmod(parent, os.stat(parent).st_mode | 0o011)
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password)
        if os.geteuid() == 0:
            subprocess.run(["chown", "postgres", str(pwfile)], check=True)
        self._as_postgres(str(self.bin / "initdb"), "-D", str(data), "-U", self.user, f"--pwfile={pwfile}",
                          "-A", "md5", "--no-sync")
        if self.clients:
            with open(data / "pg_hba.conf", "a") as hba:
                hba.writelines(f"host all all {net} md5\n" for net in self.clients)
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(data), "-w", "-l", str(self.folder / "pg.log"),
                          "-o", f"-p {self.port} -k {self.folder} -c listen_addresses={','.join(self.addresses)}", "start")
        env = {**os.environ, "PGPASSWORD": self.password}
        subprocess.run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                        self.db], check=True, env=env, capture_output=True, timeout=60)
        return self

    def __exit__(self, *exc) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop",
                          check=False)

    def env(self) -> dict[str, str]:
        return {"DAGSTER_PG_USERNAME": self.user, "DAGSTER_PG_PASSWORD": self.password,
                "DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_DB": self.db, "DAGSTER_PG_PORT": str(self.port)}
