"""The multi-device worker pool: processes, queue, devices, respawns, markers, worker logs.

Knows nothing of Dagster or of documents: it runs any picklable Task over a list of items.
"""
from .devices import Device, auto_threads, detect_gpus, resolve_devices
from .outcomes import FATAL, PROBLEMATIC, SKIPPED, SUCCESS, ItemOutcome, PoolReport, Summary
from .config import PoolConfig, RunStopped, WorkerSetupError
from .pool import WorkerPool
from .recycle import RecyclePolicy
from .respawn import RespawnPolicy, respawn_delay
from .task import PermanentError, StopRun, Task, WorkerContext
from .worklog import marker_path, worker_log_dir

__all__ = [
    "Device", "auto_threads", "detect_gpus", "resolve_devices",
    "FATAL", "PROBLEMATIC", "SKIPPED", "SUCCESS", "ItemOutcome", "PoolReport", "Summary",
    "PoolConfig", "RunStopped", "WorkerPool", "WorkerSetupError", "StopRun", "RespawnPolicy", "respawn_delay",
    "PermanentError", "RecyclePolicy", "Task", "WorkerContext", "marker_path", "worker_log_dir",
]
