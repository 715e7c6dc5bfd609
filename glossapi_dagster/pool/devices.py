"""Which devices the pool runs on, and how many threads each worker gets."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class Device:
    """One worker slot. `cuda_id` None means a CPU worker with every GPU hidden."""

    cuda_id: int | None

    @property
    def label(self) -> str:
        # GlossAPI's marker and log names: gpu<N>.current, gpu<N>_<pid>.log
        return "cpu" if self.cuda_id is None else f"gpu{self.cuda_id}"

    @property
    def cuda_visible_devices(self) -> str:
        return "" if self.cuda_id is None else str(self.cuda_id)


def detect_gpus() -> list[int]:
    """GPU ids from `nvidia-smi -L`, else torch's device count; [] when there are none."""
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20).stdout
            ids = [int(m) for m in re.findall(r"^GPU (\d+):", out, flags=re.M)]
            if ids:
                return ids
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        import torch  # heavy; only reached when nvidia-smi says nothing

        return list(range(torch.cuda.device_count()))
    except Exception:
        return []


def resolve_devices(use_gpus: str = "single", devices: list[int] | None = None) -> list[Device]:
    """An explicit list wins (one worker per id, GPU or not); else detect, else one CPU worker."""
    if use_gpus not in ("single", "multi"):
        raise ValueError(f"use_gpus must be 'single' or 'multi', got {use_gpus!r}")
    if devices:
        ids = list(dict.fromkeys(int(d) for d in devices))
        if any(d < 0 for d in ids):
            raise ValueError(f"device ids must be >= 0, got {devices!r}")
        return [Device(d) for d in ids]
    found = detect_gpus()
    if not found:
        return [Device(None)]
    return [Device(d) for d in (found if use_gpus == "multi" else found[:1])]


def auto_threads(n_devices: int, num_threads: int | None = None) -> int:
    """GlossAPI's rule: min(cpu_count, 2 x devices), unless the caller chose a number."""
    if num_threads is not None:
        if num_threads < 1:
            raise ValueError(f"num_threads must be >= 1, got {num_threads}")
        return int(num_threads)
    return max(1, min(os.cpu_count() or 1, 2 * max(1, n_devices)))
