"""Shared fixtures: the test corpus (read-only; copied where a test changes it) and real Dagster instances."""
from __future__ import annotations

import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("GLOSSAPI_TEST_CORPUS", REPO.parent / "shared" / "corpus")).resolve()
SAMPLE = REPO / "sample_corpus" / "pdfs"
PYTHON = sys.executable
BIN = Path(sys.executable).parent
# What Docling makes of the corpus's broken files (SOURCES.tsv says what each one tests).
EXPECTED_PROBLEMS = {
    "empty": "empty",
    "libreoffice-writer-password": "encrypted",
    "poppler-742-0-fuzzed": "corrupt",
    "FEK_A_13_-_29.01.2018_truncated": "corrupt",
    "Pages-tree-refs": "corrupt",
}


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus (or GLOSSAPI_TEST_CORPUS): pdfs/, groundtruth/, SOURCES.tsv."""
    if not (CORPUS / "pdfs").is_dir():
        pytest.fail(f"test corpus not found at {CORPUS}; set GLOSSAPI_TEST_CORPUS")
    return CORPUS


def copy_pdfs(src: Path, dst: Path, names: list[str] | None = None) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for pdf in sorted(src.glob("*.pdf")):
        if names is None or pdf.name in names:
            shutil.copyfile(pdf, dst / pdf.name)
    return dst


@contextmanager
def temp_instance(folder: Path):
    """A real Dagster instance (SQLite) in folder/dagster_home, as DAGSTER_HOME while in use: for
    module-scoped fixtures, which cannot use monkeypatch."""
    from dagster import DagsterInstance

    home = folder / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with DagsterInstance.get() as instance:
            yield instance
    finally:
        if old is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = old


@pytest.fixture
def dagster_home(tmp_path, monkeypatch) -> Path:
    """A real Dagster instance (SQLite) in a temp DAGSTER_HOME."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def instance(dagster_home):
    from dagster import DagsterInstance

    with DagsterInstance.get() as inst:
        yield inst


def cpu_pool(**kw):
    """The multi-device path as it runs on a machine without GPUs: one CPU worker per listed id."""
    from glossapi_dagster.defs.resources import GpuPoolResource

    return GpuPoolResource(**{"devices": [0, 1], "accel_type": "cpu", "num_threads": 1,
                              "summary_interval": 5.0, "item_timeout": 600.0, **kw})


def resources(input_dir: Path, output_dir: Path, **pool):
    from glossapi_dagster.defs.resources import CorpusResource

    return {"corpus": CorpusResource(input_dir=str(input_dir), output_dir=str(output_dir)),
            "gpu_pool": cpu_pool(**pool)}
