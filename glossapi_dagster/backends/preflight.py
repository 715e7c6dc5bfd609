"""GPU preflight: before any worker starts, check that the GPUs asked for can really be used.

Run when the pool is asked for GPUs (accel_type 'cuda' or 'auto', and GPU ids among its devices); a
CPU choice (accel_type='cpu', or a machine where no GPU was detected and none was named) skips it.
With 'auto' a failed check is not an error: the run goes to the CPU, and one line says why.
Three checks, one message naming what was found and what is needed:
  - onnxruntime lists CUDAExecutionProvider *and* a session can be made with it (onnxruntime-gpu
    lists it even on a machine without a GPU, then silently runs on the CPU); plain `onnxruntime`
    installed beside onnxruntime-gpu is refused (both write the same package folder);
  - torch sees CUDA;
  - torch's device count covers the highest device id asked for.
The facts are gathered in a child process (with every GPU visible, as the pool's workers bind
physical ids), so the controller never imports torch or creates a CUDA context.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field

CUDA_EP = "CUDAExecutionProvider"


class PreflightError(RuntimeError):
    """The GPUs asked for cannot be used; the message says what was found and what is needed."""


@dataclass
class GpuFacts:
    ort_version: str | None = None
    providers: list[str] = field(default_factory=list)
    ort_cuda_session: bool = False          # a session really got CUDAExecutionProvider
    ort_cuda_error: str | None = None
    ort_distributions: list[str] = field(default_factory=list)  # onnxruntime, onnxruntime-gpu, ...
    torch_version: str | None = None
    torch_cuda: bool = False
    torch_device_count: int = 0
    torch_error: str | None = None


def _probe_model() -> str | None:
    """A small ONNX model to try a CUDA session with: RapidOCR's bundled direction classifier."""
    try:
        from .ocr.rapidocr import _find, bundled_model_dir

        path = _find(bundled_model_dir(), "cls") or _find(bundled_model_dir(), "det")
        return str(path) if path else None
    except Exception:
        return None


def gather_facts() -> GpuFacts:
    """What this process sees (runs in the probe's child process)."""
    import importlib.metadata as metadata

    facts = GpuFacts()
    facts.ort_distributions = sorted({d.metadata["Name"].lower() for d in metadata.distributions()
                                      if (d.metadata["Name"] or "").lower().startswith("onnxruntime")})
    try:
        import onnxruntime as ort

        facts.ort_version = ort.__version__
        facts.providers = list(ort.get_available_providers())
        if CUDA_EP in facts.providers:
            model = _probe_model()
            if model is None:
                facts.ort_cuda_error = "no ONNX model to try a session with"
            else:
                if hasattr(ort, "preload_dlls"):
                    try:
                        ort.preload_dlls()
                    except Exception:
                        pass
                ort.set_default_logger_severity(4)
                options = ort.SessionOptions()
                options.log_severity_level = 4
                session = ort.InferenceSession(model, sess_options=options,
                                               providers=[(CUDA_EP, {"device_id": 0}), "CPUExecutionProvider"])
                facts.ort_cuda_session = CUDA_EP in session.get_providers()
                if not facts.ort_cuda_session:
                    facts.ort_cuda_error = f"the session fell back to {session.get_providers()}"
    except Exception as exc:
        facts.ort_cuda_error = f"{type(exc).__name__}: {str(exc)[:300]}"
    try:
        import torch

        facts.torch_version = torch.__version__
        facts.torch_cuda = bool(torch.cuda.is_available())
        facts.torch_device_count = int(torch.cuda.device_count()) if facts.torch_cuda else 0
    except Exception as exc:
        facts.torch_error = f"{type(exc).__name__}: {str(exc)[:300]}"
    return facts


def probe_gpus(env: dict | None = None, timeout: float = 300.0) -> GpuFacts:
    """The facts as a fresh process sees them. By default every GPU is visible to it
    (CUDA_VISIBLE_DEVICES removed), as worker N binds physical GPU N."""
    if env is None:
        env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    cmd = [sys.executable, "-m", "glossapi_dagster.backends.preflight"]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise PreflightError(f"GPU preflight: the device probe did not answer within {timeout:.0f} s") from exc
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise PreflightError(f"GPU preflight: the device probe failed (exit {done.returncode}): "
                             f"{(done.stderr or done.stdout)[-1500:]}")
    return GpuFacts(**json.loads(lines[-1]))


def problems(requested: list[int], facts: GpuFacts) -> list[str]:
    """What stands between these facts and running on the requested GPU ids."""
    found = []
    if "onnxruntime" in facts.ort_distributions and "onnxruntime-gpu" in facts.ort_distributions:
        found.append("plain onnxruntime is installed beside onnxruntime-gpu (they overwrite one package "
                     "folder): `pip uninstall -y onnxruntime onnxruntime-gpu && pip install onnxruntime-gpu`")
    if facts.ort_version is None:
        found.append(f"onnxruntime cannot be imported ({facts.ort_cuda_error})")
    elif CUDA_EP not in facts.providers:
        found.append(f"onnxruntime {facts.ort_version} offers {facts.providers}, without {CUDA_EP} "
                     "(install onnxruntime-gpu, not onnxruntime)")
    elif not facts.ort_cuda_session:
        found.append(f"onnxruntime {facts.ort_version} lists {CUDA_EP} but cannot create a session with it "
                     f"({facts.ort_cuda_error}); it needs a GPU driver, CUDA 13 and cuDNN 9")
    if facts.torch_version is None:
        found.append(f"torch cannot be imported ({facts.torch_error})")
    elif not facts.torch_cuda:
        found.append(f"torch {facts.torch_version} sees no CUDA device (torch.cuda.is_available() is False)")
    needed = max(requested) + 1 if requested else 0
    if facts.torch_cuda and facts.torch_device_count < needed:
        found.append(f"torch sees {facts.torch_device_count} CUDA device(s), but device ids {sorted(requested)} "
                     f"need at least {needed}")
    return found


def check_gpus(requested: list[int], facts: GpuFacts) -> None:
    """Raise one PreflightError naming everything found wrong and what is needed."""
    found = problems(requested, facts)
    if not found:
        return
    raise PreflightError(
        f"GPU preflight failed for devices {sorted(requested)} (accel_type='cuda'). Found: "
        + "; ".join(found)
        + f". Needed: onnxruntime-gpu with a working {CUDA_EP}, torch with CUDA, and at least "
        f"{max(requested) + 1} visible GPU(s). To run on the CPU instead, choose accel_type='cpu'."
    )


_PASSED: set[tuple[int, ...]] = set()


def gpu_preflight(requested: list[int], facts: GpuFacts | None = None) -> GpuFacts | None:
    """Probe (unless facts are given) and check; a passed set of ids is not probed again."""
    key = tuple(sorted(set(requested)))
    if facts is None and key in _PASSED:
        return None
    facts = facts or probe_gpus()
    check_gpus(list(key), facts)
    _PASSED.add(key)
    return facts


def choose_accel(accel_type: str, gpus: list[int]) -> tuple[str, str | None]:
    """What a run uses, 'cuda' or 'cpu', and for 'auto' falling back to the CPU the one line that
    says why. 'cuda' with GPU ids is checked (a PreflightError when they cannot be used); 'auto'
    takes CUDA where the same check passes."""
    if accel_type == "cpu":
        return "cpu", None
    if accel_type == "cuda":
        if gpus:
            gpu_preflight(gpus)
        return "cuda", None
    if not gpus:
        return "cpu", "accel_type='auto': no GPU found; running on the CPU"
    try:
        gpu_preflight(gpus)
    except PreflightError as exc:
        found = str(exc).split("Found: ", 1)[-1].split(". Needed:", 1)[0]
        return "cpu", f"accel_type='auto': GPUs {sorted(set(gpus))} cannot be used ({found}); running on the CPU"
    return "cuda", None


if __name__ == "__main__":  # the probe's child process: one JSON line on stdout
    print(json.dumps(asdict(gather_facts())))
