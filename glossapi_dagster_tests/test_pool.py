"""The worker pool end to end: real spawned worker processes, no mocks.

Devices are plain ids; on a machine without GPUs each id still gets its own worker (with
CUDA_VISIBLE_DEVICES=<id>), which is what lets the multi-device logic run on CPU.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import dagster
import psutil
import pytest

from glossapi_dagster.pool import (
    FATAL,
    PROBLEMATIC,
    SKIPPED,
    SUCCESS,
    Device,
    PoolConfig,
    RespawnPolicy,
    Summary,
    WorkerPool,
    WorkerSetupError,
    auto_threads,
    marker_path,
    resolve_devices,
    respawn_delay,
    worker_log_dir,
)
from glossapi_dagster_tests.tasks import ProbeTask

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(120)


# -- helpers ----------------------------------------------------------------------------
def probe(**kw) -> ProbeTask:
    """A light ProbeTask: no torch import (it costs seconds per worker) unless asked."""
    kw.setdefault("import_torch", False)
    return ProbeTask(**kw)


def run_pool(task, devices, log_dir: Path, items, on_batch=None, on_summary=None, **config):
    cfg = PoolConfig(devices=resolve_devices(devices=devices), log_dir=log_dir, **config)
    return WorkerPool(task, cfg, on_batch=on_batch, on_summary=on_summary).run(items)


def by_item(report) -> dict:
    items = [o.item for o in report.outcomes]
    dupes = [i for i, n in Counter(items).items() if n > 1]
    assert not dupes, f"items with more than one outcome: {dupes}"
    return {o.item: o for o in report.outcomes}


def logs_of(log_dir: Path, label: str) -> list[Path]:
    return sorted(log_dir.glob(f"{label}_*.log"))


def log_pid(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])


def gone(pid: int) -> bool:
    """Dead, or a zombie waiting for whoever adopted it to reap it."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def proc_state(pid: int) -> str:
    """pid, state, parent and ignored/caught signals, from /proc (for a failure's message)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return f"{pid}: gone"
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return f"{pid}: " + " ".join(f"{k}={fields[k].strip()}" for k in ("State", "PPid", "SigIgn", "SigCgt") if k in fields)


def wait_until(predicate, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def worker_children(pid: int) -> list[psutil.Process]:
    found = []
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    for p in kids:
        try:
            if "glossapi_dagster.pool.worker_main" in " ".join(p.cmdline()) and not gone(p.pid):
                found.append(p)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    return found


def banner_times(log_dir: Path, label: str) -> list[datetime]:
    stamps = []
    for path in logs_of(log_dir, label):
        first = path.read_text().splitlines()[0]
        stamps.append(datetime.strptime(first[:23], "%Y-%m-%d %H:%M:%S,%f"))
    return sorted(stamps)


@pytest.fixture(autouse=True)
def _plain_worker_env(monkeypatch):
    # The tests decide these; a developer's shell must not.
    monkeypatch.delenv("GLOSSAPI_WORKER_LOG_VERBOSE", raising=False)
    monkeypatch.delenv("GLOSSAPI_WORKER_LOG_DIR", raising=False)


# -- devices and threads -----------------------------------------------------------------
def test_explicit_devices_and_auto_threads():
    assert resolve_devices(devices=[0, 1, 3]) == [Device(0), Device(1), Device(3)]
    assert resolve_devices("single", devices=[2, 2, 5]) == [Device(2), Device(5)]
    assert [d.label for d in resolve_devices(devices=[0, 3])] == ["gpu0", "gpu3"]
    with pytest.raises(ValueError):
        resolve_devices("all", devices=[0])
    with pytest.raises(ValueError):
        resolve_devices(devices=[-1])
    cpus = os.cpu_count() or 1
    for n in (1, 2, 4, 8):
        assert auto_threads(n) == min(cpus, 2 * n)
        assert auto_threads(n, None) == min(cpus, 2 * n)
    assert auto_threads(4, 3) == 3
    with pytest.raises(ValueError):
        auto_threads(1, 0)


@pytest.mark.parametrize("devices", [[0, 1], [0, 1, 2, 3]], ids=["2-workers", "4-workers"])
def test_every_item_once_on_its_own_device(tmp_path, devices):
    n_items = 300
    threads = auto_threads(len(devices))
    task = probe(delay=0.002, record=str(tmp_path / "record"), barrier=str(tmp_path / "barrier"),
                 barrier_n=len(devices))
    report = run_pool(task, devices, tmp_path / "logs", range(n_items), batch_size=4, threads=threads)

    outcomes = by_item(report)
    assert sorted(outcomes) == list(range(n_items))
    assert report.counts() == Counter({SUCCESS: n_items})
    for o in outcomes.values():
        assert o.result["label"] == o.worker
        assert o.result["cuda_visible_devices"] == o.worker.removeprefix("gpu")
        assert o.result["pid"] == o.pid
        assert o.result["omp_num_threads"] == str(min(os.cpu_count() or 1, 2 * len(devices)))
        assert o.result["mkl_num_threads"] == str(threads)
        assert o.result["ctx_threads"] == threads
        assert o.attempts == 1
    # one worker per device, each bound to its own id, each took a share
    assert set(report.per_worker()) == {f"gpu{d}" for d in devices}
    pids = {o.worker: set() for o in outcomes.values()}
    for o in outcomes.values():
        pids[o.worker].add(o.pid)
    assert all(len(p) == 1 for p in pids.values())
    assert len(set.union(*pids.values())) == len(devices)
    assert report.respawns == {f"gpu{d}": 0 for d in devices} and report.exhausted == []
    # processed exactly once, as the workers themselves saw it
    seen = Counter(int(line) for f in (tmp_path / "record").iterdir() for line in f.read_text().split())
    assert seen == Counter(range(n_items))


def test_explicit_thread_count_reaches_workers(tmp_path):
    report = run_pool(probe(), [0, 1], tmp_path, range(10), threads=3)
    assert {o.result["omp_num_threads"] for o in report.outcomes} == {"3"}
    assert {o.result["ctx_threads"] for o in report.outcomes} == {3}


def test_thread_count_reaches_torch(tmp_path):
    # The environment says 1 thread; the pool's chosen number (2) must still reach torch,
    # which the worker sets with torch.set_num_threads once the task imported torch.
    report = run_pool(ProbeTask(import_torch=True), [0], tmp_path, range(3), threads=2,
                      extra_env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    assert report.counts() == Counter({SUCCESS: 3})
    for o in report.outcomes:
        assert o.result["torch_threads"] == 1       # what torch read from the environment
        assert o.result["torch_threads_now"] == 2   # what the worker then set
    # the binding line, logged once the task has imported torch
    (log,) = logs_of(tmp_path, "gpu0")
    bound = [line for line in log.read_text().splitlines() if "worker gpu0 bound: torch=" in line]
    assert len(bound) == 1 and "threads=2" in bound[0] and "device_count=" in bound[0]


# -- failures ----------------------------------------------------------------------------
def test_raising_items_are_requeued_then_problematic(tmp_path):
    bad = {5, 17}
    report = run_pool(probe(fail=frozenset(bad)), [0, 1], tmp_path, range(40), max_attempts=3)
    outcomes = by_item(report)
    assert sorted(outcomes) == list(range(40))
    for item, o in outcomes.items():
        if item in bad:
            assert o.status == PROBLEMATIC
            assert o.attempts == 3
            assert o.error == f"ValueError: cannot process {item}"
        else:
            assert o.status == SUCCESS and o.attempts == 1
    # really tried three times each (the workers log every failure)
    text = "".join(p.read_text() for p in tmp_path.glob("gpu*_*.log"))
    for item in bad:
        assert text.count(f"failed {item}: cannot process {item}") == 3
    assert sum(report.respawns.values()) == 0


def test_item_that_kills_its_worker_is_requeued_then_problematic(tmp_path):
    report = run_pool(probe(kill=frozenset({7}), delay=0.01), [0, 1], tmp_path, range(60), max_attempts=2)
    outcomes = by_item(report)
    assert sorted(outcomes) == list(range(60))
    assert outcomes[7].status == PROBLEMATIC
    assert outcomes[7].attempts == 2
    assert "died" in outcomes[7].error and "-9" in outcomes[7].error
    assert all(o.status == SUCCESS for i, o in outcomes.items() if i != 7)
    # The first death respawned a worker on that device, which went on with the queue; the
    # second death came with item 7, requeued last, so nothing was left to respawn for.
    assert sum(report.respawns.values()) == 1
    assert report.exhausted == []
    assert len(list(tmp_path.glob("gpu*_*.log"))) == 2 + 1
    (respawned,) = [label for label, n in report.respawns.items() if n == 1]
    assert len({o.pid for o in outcomes.values() if o.worker == respawned and o.status == SUCCESS}) == 2


def test_respawn_cap_is_honoured(tmp_path):
    # One device; item 0 kills the worker every time and may be tried 10 times, but the
    # device is allowed only 2 respawns: the third death exhausts it.
    report = run_pool(probe(kill=frozenset({0})), [0], tmp_path, range(6), max_attempts=10,
                      respawn=RespawnPolicy(max_retries=2))
    outcomes = by_item(report)
    assert report.respawns == {"gpu0": 2}
    assert report.exhausted == ["gpu0"]
    assert outcomes[0].status == FATAL and outcomes[0].attempts == 3
    assert "respawn cap" in outcomes[0].error
    assert all(outcomes[i].status == SUCCESS for i in range(1, 6))
    assert len(logs_of(tmp_path, "gpu0")) == 3


@pytest.mark.parametrize("backoff", [None, dagster.Backoff.LINEAR, dagster.Backoff.EXPONENTIAL])
def test_respawn_delay_follows_dagster(backoff):
    policy = dagster.RetryPolicy(max_retries=4, delay=0.5, backoff=backoff)
    for attempt in range(1, 6):
        assert respawn_delay(policy, attempt) == pytest.approx(policy.calculate_delay(attempt))
    ours = RespawnPolicy(max_retries=4, delay=0.5, backoff=backoff)
    assert [respawn_delay(ours, a) for a in range(1, 6)] == [respawn_delay(policy, a) for a in range(1, 6)]
    assert respawn_delay(dagster.RetryPolicy(max_retries=1), 3) == 0.0
    full = dagster.RetryPolicy(max_retries=1, delay=1.0, jitter=dagster.Jitter.FULL)
    assert all(0.0 <= respawn_delay(full, 1) <= 1.0 for _ in range(50))


def test_dagster_retry_policy_caps_and_delays_respawns(tmp_path):
    policy = dagster.RetryPolicy(max_retries=2, delay=0.4, backoff=dagster.Backoff.LINEAR)
    started = time.monotonic()
    report = run_pool(probe(kill=frozenset({0})), [0], tmp_path, range(3), max_attempts=5, respawn=policy)
    elapsed = time.monotonic() - started
    outcomes = by_item(report)
    assert report.respawns == {"gpu0": 2} and report.exhausted == ["gpu0"]
    assert outcomes[0].status == FATAL and outcomes[0].attempts == 3
    assert outcomes[1].status == outcomes[2].status == SUCCESS
    # respawn 1 waits 0.4 s, respawn 2 waits 0.8 s (linear backoff): lower bounds only
    first, second, third = banner_times(tmp_path, "gpu0")
    assert (second - first).total_seconds() >= 0.4 - 0.002
    assert (third - second).total_seconds() >= 0.8 - 0.002
    assert elapsed >= 1.2


@pytest.mark.parametrize("policy", [RespawnPolicy(max_retries=0), dagster.RetryPolicy(max_retries=0)],
                         ids=["RespawnPolicy", "dagster.RetryPolicy"])
def test_cap_zero_means_no_respawn_and_the_other_device_drains(tmp_path, policy):
    report = run_pool(probe(kill=frozenset({3}), delay=0.005), [0, 1], tmp_path, range(80), respawn=policy)
    outcomes = by_item(report)
    assert sorted(outcomes) == list(range(80))
    assert outcomes[3].status == FATAL and outcomes[3].attempts == 1
    assert "respawn cap" in outcomes[3].error
    assert all(o.status == SUCCESS for i, o in outcomes.items() if i != 3)
    (dead,) = report.exhausted
    alive = ({"gpu0", "gpu1"} - {dead}).pop()
    assert report.respawns == {"gpu0": 0, "gpu1": 0}
    assert len(logs_of(tmp_path, dead)) == 1 and len(logs_of(tmp_path, alive)) == 1
    assert outcomes[3].worker == dead


@pytest.mark.timeout(30)  # the failure this guards against is a hang
def test_exhausted_device_batch_drained_by_an_idle_device(tmp_path):
    # Both workers take one batch of 10. gpu0 finishes fast and goes idle (the queue is
    # empty); gpu1 then dies on its first item with no respawn allowed: its other 9 items
    # must reach the idle gpu0, its item in progress goes to the fatal list.
    task = probe(delay=0.01, slow={"gpu1": 30.0}, kill_labels=frozenset({"gpu1"}),
                 barrier=str(tmp_path / "barrier"), barrier_n=2)
    report = run_pool(task, [0, 1], tmp_path / "logs", range(20), batch_size=10,
                      respawn=RespawnPolicy(max_retries=0))
    outcomes = by_item(report)
    assert sorted(outcomes) == list(range(20))
    assert report.exhausted == ["gpu1"]
    fatal = [o for o in outcomes.values() if o.status == FATAL]
    assert len(fatal) == 1 and fatal[0].worker == "gpu1"
    assert report.counts() == Counter({SUCCESS: 19, FATAL: 1})
    assert {o.worker for o in outcomes.values() if o.status == SUCCESS} == {"gpu0"}


def test_no_device_left_skips_the_rest_with_a_reason(tmp_path):
    task = probe(delay=0.05, kill_labels=frozenset({"gpu0", "gpu1"}))
    report = run_pool(task, [0, 1], tmp_path, range(10), respawn=RespawnPolicy(max_retries=0))
    outcomes = by_item(report)
    assert sorted(outcomes) == list(range(10))
    assert sorted(report.exhausted) == ["gpu0", "gpu1"]
    counts = report.counts()
    assert counts == Counter({FATAL: 2, SKIPPED: 8})
    for o in outcomes.values():
        if o.status == SKIPPED:
            assert o.error and "no device left" in o.error


def test_sigkill_worker_mid_batch_loses_nothing(tmp_path):
    log_dir = tmp_path / "logs"
    killed: list[int] = []

    def killer():
        marker = marker_path(log_dir, "gpu1")
        for _ in range(2):
            def busy_new_worker():
                fresh = [log_pid(p) for p in logs_of(log_dir, "gpu1") if log_pid(p) not in killed]
                holding = marker.exists() and marker.read_text().strip()
                return fresh[0] if fresh and holding and not gone(fresh[0]) else None

            if not wait_until(busy_new_worker, 30):
                return
            time.sleep(0.05)
            pid = busy_new_worker()
            if pid:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    report = run_pool(probe(delay=0.01), [0, 1], log_dir, range(400), batch_size=4, max_attempts=3)
    thread.join(5)
    assert len(killed) == 2
    outcomes = by_item(report)
    assert sorted(outcomes) == list(range(400))
    assert report.counts() == Counter({SUCCESS: 400})
    assert report.respawns["gpu1"] == 2
    assert marker_path(log_dir, "gpu1").read_text() == ""


def test_worker_dead_between_batches_loses_nothing(tmp_path):
    # Kill gpu1 right after it reported a batch, before the controller sends it the next
    # one: the controller must not trip over the dead socket.
    done = {"pid": None}

    def on_batch(outcomes):
        mine = [o for o in outcomes if o.worker == "gpu1"]
        if mine and done["pid"] is None:
            done["pid"] = mine[0].pid
            os.kill(done["pid"], signal.SIGKILL)
            assert wait_until(lambda: gone(done["pid"]), 5)

    report = run_pool(probe(delay=0.005), [0, 1], tmp_path, range(100), batch_size=2, on_batch=on_batch)
    outcomes = by_item(report)
    assert done["pid"] is not None
    assert sorted(outcomes) == list(range(100))
    assert report.counts() == Counter({SUCCESS: 100})
    assert report.respawns["gpu1"] == 1


CONTROLLER = textwrap.dedent(
    """
    import signal, sys
    # A controller's own dispositions, whatever pytest's are: under a backgrounded pytest SIGINT
    # is ignored, and once an in-process `dagster` command has mapped SIGTERM to SIGINT's
    # handler, an ignored SIGTERM would be inherited here.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from glossapi_dagster.pool import PoolConfig, WorkerPool, resolve_devices
    from glossapi_dagster_tests.tasks import ProbeTask

    cfg = PoolConfig(devices=resolve_devices(devices=[0, 1]), log_dir=sys.argv[1], batch_size=1)
    WorkerPool(ProbeTask(delay=0.05, import_torch=False), cfg).run(range(100000))
    """
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_no_orphans_when_the_controller_goes(tmp_path, sig):
    script = tmp_path / "controller.py"
    script.write_text(CONTROLLER)
    log_dir = tmp_path / "logs"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    ctrl = subprocess.Popen([sys.executable, str(script), str(log_dir)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        markers = [marker_path(log_dir, label) for label in ("gpu0", "gpu1")]
        busy = wait_until(lambda: all(m.exists() and m.read_text().strip() for m in markers), 60)
        workers = worker_children(ctrl.pid)
        assert busy and len(workers) == 2, ctrl.stdout.read1().decode(errors="replace") if ctrl.poll() else ""
        pids = [w.pid for w in workers]
        ctrl.send_signal(sig)
        assert wait_until(lambda: all(gone(p) for p in pids), 5.0), (
            f"workers left after {sig.name}: {[proc_state(p) for p in [ctrl.pid, *pids]]}")
        assert ctrl.wait(10) != 0
    finally:
        if ctrl.poll() is None:
            ctrl.kill()
            ctrl.wait()
        for p in worker_children(ctrl.pid):
            p.kill()


def test_hung_item_is_killed_at_the_timeout(tmp_path):
    started = time.monotonic()
    report = run_pool(probe(hang=frozenset({3}), delay=0.01), [0], tmp_path, range(30),
                      item_timeout=2, max_attempts=1)
    elapsed = time.monotonic() - started
    outcomes = by_item(report)
    assert sorted(outcomes) == list(range(30))
    assert outcomes[3].status == PROBLEMATIC
    assert "timeout" in outcomes[3].error
    assert all(o.status == SUCCESS for i, o in outcomes.items() if i != 3)
    assert elapsed >= 2.0
    # the hung worker was killed and replaced; the replacement finished the run
    assert len(logs_of(tmp_path, "gpu0")) == 2
    assert outcomes[29].pid != outcomes[0].pid
    assert report.exhausted == []


def test_faster_device_takes_more(tmp_path):
    n_items = 150
    task = probe(delay=0.02, slow={"gpu1": 3.0}, barrier=str(tmp_path / "barrier"), barrier_n=2)
    report = run_pool(task, [0, 1], tmp_path / "logs", range(n_items), batch_size=1)
    share = report.per_worker()
    assert share["gpu0"] + share["gpu1"] == n_items
    assert share["gpu0"] >= 0.65 * n_items, share


# -- markers and logs ----------------------------------------------------------------------
def test_markers_cleared_and_logs_hold_banner_and_output(tmp_path):
    report = run_pool(probe(chatter=True, barrier=str(tmp_path / "barrier"), barrier_n=2), [0, 1],
                      tmp_path / "logs", range(20))
    assert report.counts() == Counter({SUCCESS: 20})
    for label, cvd in (("gpu0", "0"), ("gpu1", "1")):
        marker = marker_path(tmp_path / "logs", label)
        assert marker.exists() and marker.read_text() == ""
        (log,) = logs_of(tmp_path / "logs", label)
        text = log.read_text()
        assert f"worker {label} pid={log_pid(log)}" in text
        assert f"CUDA_VISIBLE_DEVICES='{cvd}'" in text
        for o in report.outcomes:
            if o.worker == label:
                assert o.pid == log_pid(log)
                assert f"stdout-of-{o.item}\n" in text
                assert f"fd2-of-{o.item}\n" in text


def test_verbose_zero_suppresses_the_banner(tmp_path, monkeypatch):
    monkeypatch.setenv("GLOSSAPI_WORKER_LOG_VERBOSE", "0")
    report = run_pool(probe(chatter=True), [0], tmp_path, range(5))
    assert report.counts() == Counter({SUCCESS: 5})
    (log,) = logs_of(tmp_path, "gpu0")
    text = log.read_text()
    assert "CUDA_VISIBLE_DEVICES" not in text
    assert "stdout-of-4\n" in text and "fd2-of-4\n" in text
    # and through the pool's own environment for its workers
    report = run_pool(probe(chatter=True), [1], tmp_path / "b", range(2),
                      extra_env={"GLOSSAPI_WORKER_LOG_VERBOSE": "0"})
    assert "CUDA_VISIBLE_DEVICES" not in logs_of(tmp_path / "b", "gpu1")[0].read_text()


def test_worker_log_dir_override(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert worker_log_dir(out, "math") == out / "logs" / "math_workers"
    override = tmp_path / "elsewhere"
    monkeypatch.setenv("GLOSSAPI_WORKER_LOG_DIR", str(override))
    from glossapi_dagster_tests.conftest import cpu_pool

    # read above the pool (datamodel/settings.py), by the resource that builds the pool's config
    log_dir = cpu_pool(devices=[0]).pool_config(str(out), "math").log_dir
    assert log_dir == override
    run_pool(probe(), [0], log_dir, range(3))
    assert len(logs_of(override, "gpu0")) == 1 and marker_path(override, "gpu0").exists()
    assert not (out / "logs").exists()


# -- summaries and setup ---------------------------------------------------------------------
def test_summaries_report_the_real_queue(tmp_path):
    n_items = 100
    summaries: list[Summary] = []
    report = run_pool(probe(delay=0.02), [0, 1], tmp_path, range(n_items), batch_size=1,
                      summary_interval=0.2, on_summary=summaries.append)
    assert report.counts() == Counter({SUCCESS: n_items})
    assert len(summaries) >= 4
    for s in summaries:
        assert isinstance(s, Summary)
        # every item is exactly one of: done, waiting, in a worker's hands
        assert s.processed + s.problematic + s.skipped + s.queued + s.in_flight == n_items, s
        assert 0 <= s.live_workers <= 2
    queued = [s.queued for s in summaries]
    assert queued == sorted(queued, reverse=True)
    assert any(0 < s.queued < n_items and s.in_flight > 0 for s in summaries)
    final = summaries[-1]
    assert (final.processed, final.queued, final.in_flight) == (n_items, 0, 0)
    assert final.items_per_s > 0


def test_setup_failure_raises_and_leaves_no_worker(tmp_path):
    with pytest.raises(WorkerSetupError, match="model weights missing at /nowhere"):
        run_pool(probe(setup_error="model weights missing at /nowhere"), [0, 1], tmp_path, range(10))
    assert worker_children(os.getpid()) == []
    assert "setup failed" in "".join(p.read_text() for p in tmp_path.glob("gpu*_*.log"))


def test_empty_input_starts_no_worker(tmp_path):
    report = run_pool(probe(), [0, 1], tmp_path, [])
    assert report.outcomes == [] and not list(tmp_path.glob("*.log"))


STOPPER = textwrap.dedent(
    """
    import signal, sys
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as a Dagster run process under a backgrounded shell has it
    from glossapi_dagster.pool import PoolConfig, WorkerPool, resolve_devices
    from glossapi_dagster_tests.tasks import ProbeTask

    def on_batch(outcomes):
        procs = [s.proc for s in pool.slots]
        pool.close()  # SIGTERM, then SIGKILL after the grace period
        print("exit codes", [p.returncode for p in procs], flush=True)
        sys.exit(0)

    cfg = PoolConfig(devices=resolve_devices(devices=[0, 1]), log_dir=sys.argv[1], batch_size=1)
    pool = WorkerPool(ProbeTask(delay=0.05, import_torch=False), cfg, on_batch=on_batch)
    pool.run(range(1000))
    """
)


# The second worker (device 1) is slow to start, as any worker is on a loaded machine: the pool is
# closed while it is still starting, before its own code could restore SIGTERM's default.
SLOW_START = textwrap.dedent(
    """
    import os, time
    if os.environ.get("CUDA_VISIBLE_DEVICES") == "1":
        time.sleep(3)
    """
)


def test_workers_stop_on_sigterm_even_when_the_controller_ignores_it(tmp_path):
    script = tmp_path / "stopper.py"
    script.write_text(STOPPER)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_START)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(site), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "logs")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # killed by the SIGTERM itself, not by the SIGKILL that follows an ignored one
    assert f"exit codes [{-signal.SIGTERM}, {-signal.SIGTERM}]" in done.stdout, done.stdout + done.stderr
