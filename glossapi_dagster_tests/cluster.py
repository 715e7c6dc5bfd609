"""A Celery cluster on one machine for the many-nodes tests: Debian's redis-server as the broker,
and GPU "nodes" that are scripts/node.sh in their own process groups.

As root, each node also gets its own network namespace (a veth pair to the host, whose end the
servers listen on) and its own hostname (a UTS namespace), so it reaches PostgreSQL and Redis as
another machine would, and its claims and tags name another host. Names start with `i27` and carry
this process's id, so parallel test sessions do not collide. Without the privileges, the nodes are
process groups on the host's loopback (`NodeNetwork.isolated` says which).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .conftest import BIN, REPO
from .services import PostgresServer, free_port, stop_group


class NodeNetwork:
    """One namespace per node, each a /30 to the host: node i reaches the host at `host_ip(i)`."""

    def __init__(self, count: int):
        self.count, self.tag = count, f"i27{os.getpid() % 100000}"
        self.octet = 100 + os.getpid() % 150  # 10.27.<octet>.<4i+1|4i+2>
        self.isolated = False

    def ns(self, i: int) -> str:
        return f"{self.tag}n{i}"

    def host_ip(self, i: int) -> str:
        return f"10.27.{self.octet}.{4 * i + 1}" if self.isolated else "127.0.0.1"

    def node_ip(self, i: int) -> str:
        return f"10.27.{self.octet}.{4 * i + 2}"

    @property
    def subnet(self) -> str:
        return f"10.27.{self.octet}.0/24"

    def __enter__(self) -> "NodeNetwork":
        if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("unshare"):
            return self
        try:
            for i in range(self.count):
                host, peer = f"{self.tag}h{i}", f"{self.tag}p{i}"
                for cmd in (["ip", "netns", "add", self.ns(i)],
                            ["ip", "link", "add", host, "type", "veth", "peer", "name", peer],
                            ["ip", "link", "set", peer, "netns", self.ns(i)],
                            ["ip", "addr", "add", f"10.27.{self.octet}.{4 * i + 1}/30", "dev", host],
                            ["ip", "link", "set", host, "up"],
                            ["ip", "netns", "exec", self.ns(i), "ip", "addr", "add", f"{self.node_ip(i)}/30", "dev", peer],
                            ["ip", "netns", "exec", self.ns(i), "ip", "link", "set", peer, "up"],
                            ["ip", "netns", "exec", self.ns(i), "ip", "link", "set", "lo", "up"]):
                    subprocess.run(cmd, check=True, capture_output=True, timeout=30)
            self.isolated = True
        except (subprocess.CalledProcessError, OSError):
            self.__exit__()  # no namespaces here (a container without NET_ADMIN): process groups on loopback
        return self

    def __exit__(self, *exc) -> None:
        for i in range(self.count):
            subprocess.run(["ip", "link", "del", f"{self.tag}h{i}"], capture_output=True, timeout=30)
            subprocess.run(["ip", "netns", "del", self.ns(i)], capture_output=True, timeout=30)
        self.isolated = False

    def addresses(self) -> tuple[str, ...]:
        """What the servers listen on besides 127.0.0.1."""
        return tuple(self.host_ip(i) for i in range(self.count)) if self.isolated else ()

    def pids(self, i: int) -> list[int]:
        """The processes left in node i's namespace."""
        done = subprocess.run(["ip", "netns", "pids", self.ns(i)], capture_output=True, text=True, timeout=30)
        return [int(p) for p in done.stdout.split()]

    def wrap(self, i: int, hostname: str, cmd: list[str]) -> list[str]:
        """cmd run as node i: in its namespace, under its own hostname."""
        if not self.isolated:
            return cmd
        return ["ip", "netns", "exec", self.ns(i), "unshare", "--uts", "sh", "-c",
                'hostname "$0" && exec "$@"', hostname, *cmd]


class RedisServer:
    """Debian's redis-server in the foreground, no persistence, on a free port."""

    def __init__(self, folder: Path, addresses: tuple[str, ...] = ()):
        self.folder, self.port, self.addresses = folder, free_port(), ("127.0.0.1", *addresses)

    def __enter__(self) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", *self.addresses, "--save", "",
             "--appendonly", "no", "--protected-mode", "no", "--dir", str(self.folder)],
            stdout=open(self.folder / "redis.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "Ready to accept connections" in (self.folder / "redis.log").read_text():
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start: {(self.folder / 'redis.log').read_text()[-2000:]}")

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait()

    def env(self, host: str = "127.0.0.1") -> dict[str, str]:
        return {"DAGSTER_CELERY_BROKER_URL": f"redis://{host}:{self.port}/0",
                "DAGSTER_CELERY_BACKEND_URL": f"redis://{host}:{self.port}/1"}


class Node:
    """scripts/node.sh as node i: one Celery worker, its runs and their pools, one process group."""

    def __init__(self, i: int, name: str, network: NodeNetwork, home: Path, env: dict[str, str], log: Path):
        self.i, self.name, self.network, self.home, self.log = i, name, network, home, log
        self.env = {**os.environ, **env, "DAGSTER_HOME": str(home)}

    def start(self) -> "Node":
        self.home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "deploy" / "celery" / "dagster.yaml", self.home / "dagster.yaml")
        cmd = self.network.wrap(self.i, self.name, ["bash", str(REPO / "scripts" / "node.sh"), self.name])
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=self.env, stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def ready(self) -> bool:
        return self.log.is_file() and " ready." in self.log.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9 of the node's whole process group: the worker, its run, the run's step and pool."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.kill()

    def group(self) -> list[int]:
        """Live processes of the node's process group (a killed node leaves none)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getpgid(int(entry.name)) == self.proc.pid and _alive(int(entry.name)):
                        pids.append(int(entry.name))
                except (ProcessLookupError, PermissionError):
                    pass
        return pids


def _alive(pid: int) -> bool:
    """Not a zombie waiting for its parent to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@dataclass
class Cluster:
    env: dict[str, str]          # the control host's: the instance, the GLOSSAPI_* settings
    nodes: list[Node]
    network: NodeNetwork
    out: Path


@contextmanager
def celery_cluster(tmp: Path, input_dir: Path, names: list[str], settings: dict[str, str], shard_size: int):
    """PostgreSQL, Redis, a deploy/celery instance with the manifest of input_dir in shards of
    shard_size, the daemon, and one node per name (GLOSSAPI_DEVICES = its index), all ready;
    stopped in order, every process group killed."""
    out = tmp / "out"
    with NodeNetwork(len(names)) as net, \
            PostgresServer(tmp / "pg", net.addresses(), (net.subnet,) if net.isolated else ()) as pg, \
            RedisServer(tmp / "redis", net.addresses()) as redis:
        shared = {"GLOSSAPI_INPUT_DIR": str(input_dir), "GLOSSAPI_OUTPUT_DIR": str(out), "GLOSSAPI_ACCEL_TYPE": "cpu",
                  **settings}
        home = tmp / "home"
        home.mkdir()
        shutil.copyfile(REPO / "deploy" / "celery" / "dagster.yaml", home / "dagster.yaml")
        env = {**os.environ, **shared, **pg.env(), **redis.env(), "DAGSTER_HOME": str(home)}
        for args in (["instance", "migrate"],
                     ["asset", "materialize", "-m", "glossapi_dagster.definitions", "--select", "download_results",
                      "--config-json", json.dumps({"ops": {"download_results": {"config": {"shard_size": shard_size}}}})]):
            done = subprocess.run([str(BIN / "dagster"), *args], cwd=REPO, env=env, capture_output=True, text=True,
                                  timeout=300)
            if done.returncode:
                raise RuntimeError(f"dagster {args[0]} failed: {done.stderr[-3000:]}")
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], cwd=REPO, env=env,
                                  stdout=open(tmp / "daemon.log", "w"), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        nodes = [Node(i, name, net, tmp / f"home-{name}",
                      {**shared, **pg.env(), "DAGSTER_PG_HOST": net.host_ip(i), **redis.env(net.host_ip(i)),
                       "GLOSSAPI_DEVICES": str(i)}, tmp / f"{name}.log") for i, name in enumerate(names)]
        try:
            for node in nodes:
                node.start()
            deadline = time.monotonic() + 120
            while not all(n.ready() for n in nodes):
                dead = [n.log.read_text()[-1500:] for n in nodes if n.proc.poll() is not None]
                if dead or time.monotonic() > deadline:
                    raise RuntimeError(f"nodes not ready: {dead}")
                time.sleep(0.2)
            yield Cluster(env, nodes, net, out)
        finally:
            for node in nodes:
                node.stop()
            stop_group(daemon)
