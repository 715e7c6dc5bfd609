"""Resources: where the corpus lives, and the multi-GPU pool that runs inside one materialization."""

from pathlib import Path

from dagster import Backoff, ConfigurableResource, InitResourceContext, RetryPolicy, get_dagster_logger
from pydantic import PrivateAttr

from ..datamodel import PoolOptions, build, settings
from ..pool import PoolConfig, RecyclePolicy, WorkerPool, auto_threads, resolve_devices, worker_log_dir
from .config import fields_of

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_INPUT = REPO_ROOT / "sample_corpus" / "pdfs"


def default_input_dir() -> str:
    return settings().input_dir or str(SAMPLE_INPUT)


def default_output_dir() -> str:
    return settings().output_dir or str(REPO_ROOT / "out")


def default_gpu_pool() -> "GpuPoolResource":
    """The code location's pool; GLOSSAPI_DEVICES (e.g. "0,1"), GLOSSAPI_USE_GPUS and GLOSSAPI_ACCEL_TYPE
    set it per deployment (a bad value fails the code location's load, naming the variable)."""
    env = settings()
    return GpuPoolResource(devices=env.devices, use_gpus=env.use_gpus, accel_type=env.accel_type)


class CorpusResource(ConfigurableResource):
    """The input folder (IN) and the output folder (OUT, GlossAPI's layout)."""

    input_dir: str
    output_dir: str


class GpuPoolResource(fields_of(PoolOptions, ConfigurableResource)):
    """One worker process per device, inside the asset's own materialization; its fields are
    PoolOptions' (datamodel/options.py), one for one.

    Teardown kills every worker still alive, also when the run is interrupted or terminated.
    """

    _pools: list = PrivateAttr(default_factory=list)
    _accel: dict = PrivateAttr(default_factory=dict)  # what accel_type 'auto' became for this run

    def options(self) -> PoolOptions:
        return build(PoolOptions, **{name: getattr(self, name) for name in PoolOptions.model_fields})

    def backoff(self) -> Backoff | None:
        return None if self.respawn_backoff == "none" else Backoff[self.respawn_backoff.upper()]

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_retries=self.respawn_cap, delay=self.respawn_delay or None, backoff=self.backoff())

    def pool_config(self, out_dir: str, phase: str) -> PoolConfig:
        self.options()  # bounds and device ids: one clear error before any worker
        env = settings()  # the variables the workers read, checked before they start
        devices = resolve_devices(self.use_gpus, self.devices)
        gpus = [d.cuda_id for d in devices if d.cuda_id is not None]
        # Before any worker starts: GPUs asked for (named, or detected) must really be usable ('cuda'),
        # or are used where they are ('auto'). A CPU machine with nothing named is one CPU worker.
        from ..backends.preflight import choose_accel

        accel, note = choose_accel(self.accel_type, gpus)
        if note:
            (get_dagster_logger().warning if gpus else get_dagster_logger().info)(note)
        self._accel["value"] = accel
        return PoolConfig(
            devices=devices,
            threads=auto_threads(len(devices), self.num_threads),
            log_dir=worker_log_dir(out_dir, phase, env.worker_log_dir),
            batch_size=self.batch_size,
            batch_pages=self.batch_pages,
            max_attempts=self.max_attempts,
            item_timeout=self.item_timeout,
            summary_interval=self.summary_interval,
            respawn=self.retry_policy(),
            recycle=RecyclePolicy(self.max_items_per_worker, self.max_worker_rss_mb),
            range_startup=self.range_startup_timeout,
        )

    def accel(self) -> str:
        """'cuda' or 'cpu': accel_type as pool_config resolved it ('auto' before that: not decided)."""
        return self._accel.get("value", self.accel_type)

    def track(self, pool: WorkerPool) -> None:
        self._pools.append(pool)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        for pool in self._pools:
            pool.close()
        self._pools.clear()
