"""Small real tasks for the pool tests: they run in real worker processes."""
from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field


@dataclass
class ProbeTask:
    """Reports where each item ran; fails, kills its worker or hangs on chosen items."""

    delay: float = 0.0
    slow: dict = field(default_factory=dict)         # label -> extra delay factor
    fail: frozenset = frozenset()                    # raise every time
    kill: frozenset = frozenset()                    # SIGKILL own process every time
    hang: frozenset = frozenset()                    # sleep forever
    setup_error: str | None = None

    def setup(self, ctx):
        if self.setup_error:
            raise FileNotFoundError(self.setup_error)
        factor = self.slow.get(ctx.label, 1.0)
        threads_seen = None
        try:
            import torch

            threads_seen = torch.get_num_threads()
        except ImportError:
            pass

        def process(item):
            if item in self.kill:
                os.kill(os.getpid(), signal.SIGKILL)
            if item in self.hang:
                time.sleep(3600)
            if item in self.fail:
                raise ValueError(f"cannot process {item}")
            if self.delay:
                time.sleep(self.delay * factor)
            return {
                "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
                "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
                "ctx_threads": ctx.threads,
                "torch_threads": threads_seen,
                "pid": os.getpid(),
                "label": ctx.label,
            }

        return process
