"""Resources: where the corpus lives, and the multi-GPU pool that runs inside one materialization."""

import os
from pathlib import Path

from dagster import Backoff, ConfigurableResource, InitResourceContext, RetryPolicy
from pydantic import PrivateAttr

from ..pool import PoolConfig, RecyclePolicy, WorkerPool, auto_threads, resolve_devices, worker_log_dir
from ..pool.recycle import MAX_ITEMS_PER_WORKER, MAX_WORKER_RSS_MB

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_INPUT = REPO_ROOT / "sample_corpus" / "pdfs"


def default_input_dir() -> str:
    return os.environ.get("GLOSSAPI_INPUT_DIR") or str(SAMPLE_INPUT)


def default_output_dir() -> str:
    return os.environ.get("GLOSSAPI_OUTPUT_DIR") or str(REPO_ROOT / "out")


def default_gpu_pool() -> "GpuPoolResource":
    """The code location's pool; GLOSSAPI_DEVICES (e.g. "0,1") and GLOSSAPI_ACCEL_TYPE set it per deployment."""
    devices = os.environ.get("GLOSSAPI_DEVICES")
    return GpuPoolResource(
        devices=[int(d) for d in devices.split(",")] if devices else None,
        use_gpus=os.environ.get("GLOSSAPI_USE_GPUS", "multi"),
        accel_type=os.environ.get("GLOSSAPI_ACCEL_TYPE", "cuda"),
    )


class CorpusResource(ConfigurableResource):
    """The input folder (IN) and the output folder (OUT, GlossAPI's layout)."""

    input_dir: str
    output_dir: str


class GpuPoolResource(ConfigurableResource):
    """One worker process per device, inside the asset's own materialization.

    Teardown kills every worker still alive, also when the run is interrupted or terminated.
    """

    use_gpus: str = "single"                  # 'single' or 'multi' (all detected GPUs)
    devices: list[int] | None = None          # explicit ids win; on a CPU machine, one CPU worker each
    accel_type: str = "cuda"                  # 'cuda' or 'cpu'
    num_threads: int | None = None            # None: min(cpu_count, 2 x devices)
    batch_size: int = 1
    item_timeout: float | None = 1800.0       # seconds one document may take before its worker is killed
    summary_interval: float = 30.0
    max_attempts: int = 2
    respawn_cap: int = 5                      # RetryPolicy.max_retries of each worker
    respawn_delay: float = 0.0
    respawn_backoff: str | None = None        # None, 'LINEAR' or 'EXPONENTIAL'
    max_items_per_worker: int | None = MAX_ITEMS_PER_WORKER  # a worker is replaced after this many items
    max_worker_rss_mb: float | None = MAX_WORKER_RSS_MB      # ... or once its RSS passes this (MB)

    _pools: list = PrivateAttr(default_factory=list)

    def retry_policy(self) -> RetryPolicy:
        backoff = Backoff[self.respawn_backoff.upper()] if self.respawn_backoff else None
        return RetryPolicy(max_retries=self.respawn_cap, delay=self.respawn_delay or None, backoff=backoff)

    def pool_config(self, out_dir: str, phase: str) -> PoolConfig:
        devices = resolve_devices(self.use_gpus, self.devices)
        gpus = [d.cuda_id for d in devices if d.cuda_id is not None]
        if self.accel_type == "cuda" and gpus:
            # Before any worker starts: GPUs asked for (named, or detected) must really be usable.
            # A CPU machine with nothing named resolves to one CPU worker and is not checked.
            from ..backends.preflight import gpu_preflight

            gpu_preflight(gpus)
        return PoolConfig(
            devices=devices,
            threads=auto_threads(len(devices), self.num_threads),
            log_dir=worker_log_dir(out_dir, phase),
            batch_size=self.batch_size,
            max_attempts=self.max_attempts,
            item_timeout=self.item_timeout,
            summary_interval=self.summary_interval,
            respawn=self.retry_policy(),
            recycle=RecyclePolicy(self.max_items_per_worker, self.max_worker_rss_mb),
        )

    def track(self, pool: WorkerPool) -> None:
        self._pools.append(pool)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        for pool in self._pools:
            pool.close()
        self._pools.clear()
