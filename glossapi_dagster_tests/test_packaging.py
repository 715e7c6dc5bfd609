"""The package as pip sees it: compatible ranges in pyproject.toml, exact pins only in
constraints.txt, every third-party module the product imports declared, the extras a deployment
picks (gpu, postgres, k8s, celery), an SPDX licence; and an install without the gpu extra still OCRs."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib

from .conftest import PYTHON, REPO, copy_pdfs

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
# the distribution each imported top-level module comes from, where the names differ
DISTRIBUTION = {"yaml": "pyyaml", "docling_core": "docling-core", "docling_parse": "docling-parse",
                "sklearn": "scikit-learn"}
EXTRAS = {"gpu": {"onnxruntime-gpu"}, "postgres": {"dagster-postgres"}, "k8s": {"dagster-k8s"},
          "celery": {"dagster-celery", "celery", "redis"}}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins() -> dict[str, str]:
    lines = [ln.split("#")[0].strip() for ln in (REPO / "constraints.txt").read_text().splitlines()]
    return {_name(ln): ln.split("==", 1)[1] for ln in lines if "==" in ln}


def _imported() -> set[str]:
    """Top-level modules the product imports that are neither its own nor the standard library's."""
    found = set()
    for path in (REPO / "glossapi_dagster").rglob("*.py"):  # the code's imports, not its docstrings' words
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("glossapi_dagster", "__future__")}


def test_ranges_in_pyproject_exact_pins_in_constraints():
    requirements = PROJECT["dependencies"] + [r for extra in PROJECT["optional-dependencies"].values() for r in extra]
    pinned = [r for r in requirements if "==" in r]
    assert not pinned, f"exact pins belong in constraints.txt: {pinned}"
    pins = _pins()
    for requirement in requirements:  # each installed at a version CI has pinned
        assert _name(requirement) in pins, f"{requirement} has no pin in constraints.txt"
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert re.search(r"pip install .*-c constraints\.txt .*\.\[dev,gpu,postgres,k8s,celery\]", setup)


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
            "from glossapi_dagster.backends.ocr.engines import OcrEngineError, resolve_engine\n"
            "print(resolve_engine('auto')[0])\n"
            "try:\n    resolve_engine('rapidocr')\nexcept OcrEngineError as exc:\n    print(exc)\n")
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    auto, message = done.stdout.splitlines()
    assert auto == "tesseract"
    assert "glossapi-dagster[gpu]" in message


# A process in which onnxruntime cannot be imported, as on an install without the gpu extra; on
# PYTHONPATH, so the pool's workers start without it too.
NO_ONNXRUNTIME = """
import sys


class NoOnnxruntime:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "onnxruntime":
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None


sys.meta_path.insert(0, NoOnnxruntime())
"""

BASE_RUN = """
import sys
from glossapi_dagster import Corpus
inp, out = sys.argv[1:3]
c = Corpus(inp, out, progress=False)
print(c.extract(input_format="pdf", devices=[0], accel_type="cpu", phase1_backend="docling"))
print(Corpus(out, out, progress=False).ocr(mode="ocr_bad", devices=[0], accel_type="cpu"))
"""


def test_the_base_install_extracts_and_ocrs_without_onnxruntime(tmp_path, corpus):
    """Docling extraction, then OCR of the flagged scan (auto: Tesseract), on CPU workers that
    cannot import onnxruntime."""
    from glossapi_dagster.state import OutputLayout, ProgressStore

    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(NO_ONNXRUNTIME)
    input_dir = copy_pdfs(corpus / "pdfs", tmp_path / "in", ["multicolumn.pdf", "ocr_test.pdf"])
    out = tmp_path / "out"
    env = {**__import__("os").environ, "PYTHONPATH": f"{blocker}:{REPO}", "DAGSTER_HOME": str(tmp_path / "home"),
           "GLOSSAPI_OCR_MAX_PAGES": "1"}
    (tmp_path / "home").mkdir()
    check = subprocess.run([PYTHON, "-c", "import onnxruntime"], env=env, capture_output=True, text=True)
    assert check.returncode != 0 and "No module named 'onnxruntime'" in check.stderr  # really blocked
    done = subprocess.run([PYTHON, "-c", BASE_RUN, str(input_dir), str(out)], env=env, capture_output=True,
                          text=True, cwd=tmp_path, timeout=540)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {r["stem"]: r for r in ProgressStore(OutputLayout(out).store_dir).read().to_dict("records")}
    assert {r["extract_status"] for r in rows.values()} == {"success"}, rows
    assert rows["ocr_test"]["ocr_success"] is True and rows["ocr_test"]["ocr_engine"] == "tesseract"
    assert "docling" in (out / "markdown" / "ocr_test.md").read_text(encoding="utf-8").lower()
