"""The package as pip sees it: compatible ranges in pyproject.toml, exact pins only in
constraints.txt, every third-party module the product imports declared, the extras a deployment
picks (gpu, postgres, k8s), an SPDX licence; and an install without the gpu extra still OCRs."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from .conftest import PYTHON, REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
# the distribution each imported top-level module comes from, where the names differ
DISTRIBUTION = {"yaml": "pyyaml", "docling_core": "docling-core", "docling_parse": "docling-parse"}
EXTRAS = {"gpu": {"onnxruntime-gpu"}, "postgres": {"dagster-postgres"}, "k8s": {"dagster-k8s"}}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins() -> dict[str, str]:
    lines = [ln.split("#")[0].strip() for ln in (REPO / "constraints.txt").read_text().splitlines()]
    return {_name(ln): ln.split("==", 1)[1] for ln in lines if "==" in ln}


def _imported() -> set[str]:
    """Top-level modules the product imports that are neither its own nor the standard library's."""
    found = set()
    for path in (REPO / "glossapi_dagster").rglob("*.py"):
        for m in re.finditer(r"^\s*(?:from|import) ([a-zA-Z_]\w*)", path.read_text(encoding="utf-8"), re.M):
            found.add(m.group(1))
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("glossapi_dagster", "__future__")}


def test_ranges_in_pyproject_exact_pins_in_constraints():
    requirements = PROJECT["dependencies"] + [r for extra in PROJECT["optional-dependencies"].values() for r in extra]
    pinned = [r for r in requirements if "==" in r]
    assert not pinned, f"exact pins belong in constraints.txt: {pinned}"
    pins = _pins()
    for requirement in requirements:  # each installed at a version CI has pinned
        assert _name(requirement) in pins, f"{requirement} has no pin in constraints.txt"
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert re.search(r"pip install .*-c constraints\.txt .*\.\[dev,gpu,postgres,k8s\]", setup)


def test_every_imported_package_is_declared():
    declared = {_name(r) for r in PROJECT["dependencies"]}
    optional = {name for names in EXTRAS.values() for name in names}
    missing = set()
    for module in _imported():
        dist = DISTRIBUTION.get(module, module.replace("_", "-"))
        if dist == "onnxruntime":
            dist = "onnxruntime-gpu"  # the gpu extra's, imported only on the RapidOCR path
        if dist not in declared and dist not in optional:
            missing.add(dist)
    assert not missing, f"imported but not declared in pyproject.toml: {sorted(missing)}"
    assert "tqdm" in declared


def test_extras_and_licence():
    extras = PROJECT["optional-dependencies"]
    for extra, names in EXTRAS.items():
        assert {_name(r) for r in extras[extra]} == names, extra
        assert not names & {_name(r) for r in PROJECT["dependencies"]}, f"{extra}'s packages are not for everyone"
    assert PROJECT["license"] == "MIT" and (REPO / "LICENSE").read_text().startswith("MIT License")


def test_without_onnxruntime_auto_ocr_is_tesseract_and_rapidocr_says_what_to_install():
    """An install without the gpu extra: onnxruntime cannot be imported (made so in a fresh process)."""
    code = ("import sys; sys.modules['onnxruntime'] = None\n"
            "from glossapi_dagster.backends.ocr_engines import OcrEngineError, resolve_engine\n"
            "print(resolve_engine('auto')[0])\n"
            "try:\n    resolve_engine('rapidocr')\nexcept OcrEngineError as exc:\n    print(exc)\n")
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    auto, message = done.stdout.splitlines()
    assert auto == "tesseract"
    assert "glossapi-dagster[gpu]" in message
